"""Routing on create: a new incident goes where the first matching rule says, the timeline says
which rule, and a group chosen by hand is never overridden."""

import pytest

from keel.accounts.models import Team, User
from keel.activity.models import TimelineEntry
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.incidents.states import Channel, IncidentState, Level
from keel.routing.actions import create_rule, update_rule
from keel.routing.decide import AlertOrigin


def _timeline(incident: Incident) -> list[str]:
    return list(
        TimelineEntry.objects.filter(subject_type="incident", subject_id=incident.pk)
        .order_by("id")
        .values_list("summary", flat=True)
    )


@pytest.mark.django_db
def test_an_incident_lands_in_the_group_of_the_first_matching_rule(
    agent: User, requester: User, incident_manager: User, network_team: Team, service_desk: Team
) -> None:
    create_rule(
        actor=incident_manager, fields={"name": "Printers", "words": ["printer"], "assignment_group": service_desk}
    )
    create_rule(
        actor=incident_manager, fields={"name": "Wi-Fi on site", "words": ["wi-fi"], "assignment_group": network_team}
    )

    incident = open_incident(actor=agent, caller=requester, title="Wi-Fi drops", channel=Channel.PHONE)

    assert (incident.assignment_group, incident.state) == (network_team, IncidentState.ASSIGNED)
    assert "Routed to Network by rule 'Wi-Fi on site'" in _timeline(incident)


@pytest.mark.django_db
def test_a_rule_may_raise_the_urgency_and_the_priority_follows(
    agent: User, make_user, incident_manager: User, network_team: Team
) -> None:
    boss = make_user("vera", "requester", is_vip=True)
    create_rule(
        actor=incident_manager,
        fields={"name": "VIP callers", "caller_vip": True, "set_urgency": 1, "assignment_group": network_team},
    )

    incident = open_incident(actor=agent, caller=boss, title="Laptop slow", impact=Level.MEDIUM, urgency=Level.LOW)

    assert (incident.urgency, incident.priority) == (Level.HIGH, 2)
    assert "Routed to Network by rule 'VIP callers' (urgency set to high)" in _timeline(incident)


@pytest.mark.django_db
def test_a_group_chosen_by_hand_is_kept(
    agent: User, requester: User, incident_manager: User, network_team: Team, service_desk: Team
) -> None:
    create_rule(actor=incident_manager, fields={"name": "Everything", "assignment_group": network_team})

    incident = open_incident(actor=agent, caller=requester, title="Wi-Fi drops", assignment_group=service_desk)

    assert incident.assignment_group == service_desk
    assert not any(summary.startswith("Routed") for summary in _timeline(incident))


@pytest.mark.django_db
def test_no_match_goes_to_the_default_group_when_one_is_set(
    settings, requester: User, incident_manager: User, network_team: Team, service_desk: Team
) -> None:
    create_rule(
        actor=incident_manager, fields={"name": "Printers", "words": ["printer"], "assignment_group": network_team}
    )
    unassigned = open_incident(actor=requester, caller=requester, title="Wi-Fi drops")
    settings.KEEL_ROUTING_DEFAULT_GROUP = service_desk.slug

    defaulted = open_incident(actor=requester, caller=requester, title="Wi-Fi drops")

    assert (unassigned.assignment_group, unassigned.state) == (None, IncidentState.NEW)
    assert defaulted.assignment_group == service_desk
    assert "Routed to Service Desk: no routing rule matched, so the default group" in _timeline(defaulted)


@pytest.mark.django_db
def test_a_requesters_own_report_is_routed_too(requester: User, incident_manager: User, network_team: Team) -> None:
    create_rule(
        actor=incident_manager,
        fields={"name": "Portal", "channels": ["portal", "api"], "assignment_group": network_team},
    )

    incident = open_incident(actor=requester, caller=requester, title="Cannot print")

    assert incident.assignment_group == network_team


@pytest.mark.django_db
def test_an_edited_rule_routes_the_next_incident(
    agent: User, requester: User, incident_manager: User, network_team: Team, service_desk: Team
) -> None:
    rule = create_rule(
        actor=incident_manager, fields={"name": "Wi-Fi", "words": ["wi-fi"], "assignment_group": network_team}
    )
    first = open_incident(actor=agent, caller=requester, title="Wi-Fi drops")
    update_rule(rule, actor=incident_manager, changes={"assignment_group": service_desk})

    second = open_incident(actor=agent, caller=requester, title="Wi-Fi drops again")

    assert (first.assignment_group, second.assignment_group) == (network_team, service_desk)


@pytest.mark.django_db
def test_monitoring_incidents_are_routed_on_their_source_and_labels(
    requester: User, incident_manager: User, network_team: Team, service_desk: Team
) -> None:
    create_rule(
        actor=incident_manager,
        fields={
            "name": "Paris alerts",
            "source_ids": [7],
            "labels": {"site": "paris"},
            "assignment_group": network_team,
        },
    )
    paris = AlertOrigin(source_id=7, labels={"site": "paris", "severity": "critical"})
    lyon = AlertOrigin(source_id=7, labels={"site": "lyon"})

    routed = open_incident(actor=None, caller=requester, title="core-switch-01 down", origin=paris)
    fallen_back = open_incident(
        actor=None, caller=requester, title="core-switch-02 down", origin=lyon, fallback_group=service_desk
    )

    assert routed.assignment_group == network_team
    assert fallen_back.assignment_group == service_desk
    assert "Routed to Service Desk: no routing rule matched, so the monitoring source's or CI's group" in _timeline(
        fallen_back
    )
