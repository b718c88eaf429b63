"""Functional escalation: an incident goes to its group's next tier with a reason, through the
console and the API; a group with no next tier, a missing reason and an outsider are refused. And
routing again on request, after a change of category."""

from collections.abc import Callable

import pytest
from django.test import Client

from keel.accounts.actions import update_team
from keel.accounts.models import Team, User
from keel.activity.models import TimelineEntry
from keel.incidents.actions.assignment import assign_incident, escalate_incident
from keel.incidents.actions.records import open_incident, update_incident
from keel.incidents.actions.reference import create_category
from keel.incidents.models import Incident
from keel.lib.errors import Conflict, MissingField, NotAllowed
from keel.routing.actions import create_rule
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(agent: User, requester: User, service_desk: Team, network_team: Team, admin_user: User) -> Incident:
    update_team(service_desk, actor=admin_user, changes={"escalates_to": network_team})
    return open_incident(actor=agent, caller=requester, title="VPN drops", assignment_group=service_desk)


def test_an_agent_escalates_to_the_next_tier_with_a_reason(held: Incident, agent: User, network_team: Team) -> None:
    escalate_incident(held, actor=agent, note="Tunnel resets every 10 minutes; needs the firewall team.")

    held.refresh_from_db()
    entry = TimelineEntry.objects.filter(subject_type="incident", subject_id=held.pk).latest("id")
    assert (held.assignment_group, held.reassignment_count) == (network_team, 1)
    assert entry.summary == "Escalated from Service Desk to Network"
    assert entry.body == "Tunnel resets every 10 minutes; needs the firewall team."


def test_a_group_with_no_next_tier_and_a_missing_reason_are_refused(
    held: Incident, agent: User, network_team: Team, admin_user: User
) -> None:
    with pytest.raises(MissingField):
        escalate_incident(held, actor=agent, note="  ")
    assign_incident(held, actor=admin_user, group=network_team)

    with pytest.raises(Conflict):
        escalate_incident(held, actor=admin_user, note="Nobody above Network")


def test_someone_outside_the_group_cannot_escalate(held: Incident, resolver: User) -> None:
    with pytest.raises(NotAllowed):
        escalate_incident(held, actor=resolver, note="Not mine")


def test_the_api_escalates_with_if_match(held: Incident, api: Callable[[User], ApiClient], agent: User) -> None:
    client = api(agent)
    tag = client.get(f"/incidents/{held.number}").headers["ETag"]

    stale = client.post(f"/incidents/{held.number}/escalate", {"note": "x"}, headers={"If-Match": '"999"'})
    done = client.post(f"/incidents/{held.number}/escalate", {"note": "Needs network"}, headers={"If-Match": tag})
    again = client.post(f"/incidents/{held.number}/escalate", {"note": "Further"})

    assert stale.status_code == 412
    assert (done.status_code, done.json()["assignment_group"]["slug"]) == (200, "network")
    assert again.status_code in {403, 409}


def test_the_console_offers_the_next_tier_and_escalates(held: Incident, agent: User) -> None:
    client = Client()
    client.login(username=agent.username, password=PASSWORD)

    page = client.get(f"/incidents/{held.number}/").content.decode()
    refused = client.post(f"/incidents/{held.number}/escalate/", {"note": ""})
    done = client.post(f"/incidents/{held.number}/escalate/", {"note": "Needs network"})

    assert "Escalate to Network…" in page
    assert refused.status_code == 400
    assert done.status_code == 302
    held.refresh_from_db()
    assert held.assignment_group.slug == "network"


def test_routing_again_moves_a_recategorised_incident_where_the_rules_say_now(
    api: Callable[[User], ApiClient], agent: User, requester: User, incident_manager: User, network_team: Team
) -> None:
    network = create_category(actor=None, name="Network")
    create_rule(
        actor=incident_manager,
        fields={"name": "Network", "category_ids": [network.pk], "assignment_group": network_team},
    )
    incident = open_incident(actor=agent, caller=requester, title="Slow", assignment_group=agent.teams.get())
    client = api(agent)

    nothing = client.post(f"/incidents/{incident.number}/reroute")
    update_incident(incident, actor=agent, changes={"category": network})
    moved = client.post(f"/incidents/{incident.number}/reroute")
    again = client.post(f"/incidents/{incident.number}/reroute")

    summaries = TimelineEntry.objects.filter(subject_type="incident", subject_id=incident.pk).values_list(
        "summary", flat=True
    )
    assert (nothing.status_code, nothing.json()["field"]) == (409, None)
    assert (moved.status_code, moved.json()["assignment_group"]["slug"]) == (200, "network")
    assert again.status_code in {200, 403}  # the agent's group no longer holds it
    assert "Routed again to Network by rule 'Network'" in summaries


def test_the_console_routes_again_and_says_when_no_rule_matches(held: Incident, agent: User) -> None:
    client = Client()
    client.login(username=agent.username, password=PASSWORD)

    answer = client.post(f"/incidents/{held.number}/reroute/", headers={"HX-Request": "true"})

    assert answer.status_code == 409
    assert "No routing rule matches" in answer.content.decode()
