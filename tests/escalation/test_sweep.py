"""The escalation sweep: each step fires once per incident (and SLA clock) however often or in how
many workers it runs, tells the people its targets name, and leaves alone what was taken,
acknowledged or resolved in between."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from keel.accounts.actions import update_team
from keel.accounts.models import Team, User
from keel.accounts.roles import Role
from keel.activity.models import TimelineEntry
from keel.escalation.actions import create_policy
from keel.escalation.models import EscalationPolicy, Fired
from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.escalation import acknowledge_incident, sweep_escalations
from keel.incidents.actions.lifecycle import resolve_incident, transition_incident
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.incidents.states import IncidentState, Level, ResolutionCode
from keel.lib.clock import frozen_at
from keel.lib.errors import Conflict
from keel.notifications.models import Notification
from keel.oncall.actions import create_layer, create_schedule
from keel.sla.actions.setup import create_calendar
from keel.sla.actions.setup import create_policy as create_sla_policy
from keel.sla.actions.sweep import sweep as sla_sweep
from tests.threads import at_once

pytestmark = pytest.mark.django_db

T0 = datetime.fromisoformat("2026-12-07T10:00:00+00:00")


@pytest.fixture
def boss(make_user: Callable[..., User]) -> User:
    return make_user("bea", Role.RESOLVER)


@pytest.fixture
def manager(make_user: Callable[..., User], boss: User, network_team: Team) -> User:
    mary = make_user("mary", Role.RESOLVER)
    mary.manager = boss
    mary.save()
    update_team(network_team, actor=None, changes={"manager": mary})
    return mary


def policy(steps: list[dict[str, Any]], **fields: Any) -> EscalationPolicy:
    return create_policy(actor=None, fields={"name": "P1 and P2", "priorities": [1, 2], "steps": steps, **fields})


@pytest.fixture
def p1(agent: User, requester: User) -> Callable[[Team], Incident]:
    """Log a P1 at T0 in the team's queue."""

    def log(team: Team) -> Incident:
        with frozen_at(T0):
            return open_incident(
                actor=agent,
                caller=requester,
                title="Core switch down",
                impact=Level.HIGH,
                urgency=Level.HIGH,
                assignment_group=team,
            )

    return log


def sweep_at(minutes: float) -> int:
    return sweep_escalations(now=T0 + timedelta(minutes=minutes))


def messages(person: User) -> list[Notification]:
    return list(Notification.objects.filter(recipient=person))


def test_an_unanswered_p1_escalates_once_to_the_group_manager(
    p1: Callable[[Team], Incident], network_team: Team, manager: User
) -> None:
    policy([{"when": "no_response", "minutes": 15, "notify": ["group_manager"]}])
    incident = p1(network_team)

    early = sweep_at(10)
    fired = sweep_at(16)
    again = sweep_at(30)

    entry = TimelineEntry.objects.filter(subject_id=incident.pk, data__has_key="escalation_policy_id").get()
    assert (early, fired, again) == (0, 1, 0)
    assert [message.title for message in messages(manager)] == [f"Escalated: {incident.number} Core switch down"]
    assert entry.summary == (
        "Escalated by policy 'P1 and P2' (no response 15 min after opening): told Mary (the group's manager)"
    )


def test_a_step_does_not_fire_for_an_incident_answered_or_resolved_in_between(
    p1: Callable[[Team], Incident], network_team: Team, manager: User, resolver: User, service_desk: Team
) -> None:
    policy([{"when": "no_response", "minutes": 15, "notify": ["group_manager"]}])
    answered, assigned_only, resolved = p1(network_team), p1(network_team), p1(service_desk)
    assign_incident(answered, actor=resolver, group=network_team, assignee=resolver)
    transition_incident(answered, IncidentState.IN_PROGRESS, actor=resolver)
    assign_incident(assigned_only, actor=None, group=network_team, assignee=resolver)
    resolve_incident(resolved, actor=None, code=ResolutionCode.SOLVED_REMOTELY)

    assert sweep_at(60) == 1
    assert list(Fired.objects.values_list("incident_id", flat=True)) == [assigned_only.pk]


def test_a_policy_covers_only_what_its_conditions_name(
    p1: Callable[[Team], Incident], network_team: Team, manager: User
) -> None:
    policy([{"when": "no_response", "minutes": 0, "notify": ["group_manager"]}], channels=["monitoring"])
    p1(network_team)

    assert sweep_at(60) == 0


def test_the_first_matching_policy_is_the_one_that_applies(
    p1: Callable[[Team], Incident], network_team: Team, manager: User, boss: User
) -> None:
    policy([{"when": "no_response", "minutes": 0, "notify": ["group_manager"]}], position=10)
    policy([{"when": "no_response", "minutes": 0, "notify": ["managers_manager"]}], name="Everything", priorities=[])
    p1(network_team)

    sweep_at(1)

    assert (len(messages(manager)), len(messages(boss))) == (1, 0)


def test_nobody_to_tell_is_said_on_the_timeline(p1: Callable[[Team], Incident], network_team: Team) -> None:
    policy([{"when": "no_response", "minutes": 0, "notify": ["group_manager"]}])
    incident = p1(network_team)

    sweep_at(1)

    entry = TimelineEntry.objects.filter(subject_id=incident.pk, data__has_key="escalation_policy_id").get()
    assert entry.summary.endswith("(as soon as it is logged): nobody to tell: nobody is the group's manager")


def test_an_unacknowledged_page_climbs_and_an_acknowledged_one_stops(
    p1: Callable[[Team], Incident], network_team: Team, manager: User, boss: User, make_user: Callable[..., User]
) -> None:
    lead = make_user("ida", Role.INCIDENT_MANAGER)
    policy(
        [
            {"when": "no_response", "minutes": 0, "notify": ["group_manager"], "page": True},
            {"when": "unacknowledged", "minutes": 5, "notify": ["managers_manager"], "page": True},
            {"when": "unacknowledged", "minutes": 15, "notify": ["incident_managers"]},
        ]
    )
    climbing = p1(network_team)
    answered = p1(network_team)

    sweep_at(1)
    with frozen_at(T0 + timedelta(minutes=2)):
        acknowledge_incident(answered, actor=manager)
    sweep_at(6)
    sweep_at(16)

    answered.refresh_from_db()
    assert [m.subject_id for m in messages(boss)] == [climbing.pk]
    assert [m.subject_id for m in messages(lead)] == [climbing.pk]
    assert (answered.assignee, answered.first_response_at) == (manager, T0 + timedelta(minutes=2))
    assert Notification.objects.get(recipient=manager, subject_id=answered.pk).acknowledged_at is not None


def test_acknowledging_with_no_page_waiting_is_refused(
    p1: Callable[[Team], Incident], network_team: Team, resolver: User
) -> None:
    incident = p1(network_team)

    with pytest.raises(Conflict):
        acknowledge_incident(incident, actor=resolver)


def test_an_sla_step_fires_with_the_warning_once_per_clock(
    p1: Callable[[Team], Incident], network_team: Team, manager: User, boss: User
) -> None:
    always = create_calendar(
        actor=None,
        fields={
            "name": "24x7",
            "zone": "UTC",
            "windows": [
                {"weekday": day, "opens": "00:00", "closes": "24:00"}
                for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            ],
        },
    )
    create_sla_policy(
        actor=None,
        fields={"name": "P1", "priority": 1, "calendar": always, "resolution_target_s": 3600, "thresholds": [50, 75]},
    )
    policy(
        [
            {"when": "sla", "clock": "resolution", "percent": 75, "notify": ["group_manager"]},
            {"when": "sla", "clock": "resolution", "percent": 100, "notify": ["managers_manager"]},
        ]
    )
    incident = p1(network_team)

    sla_sweep(now=T0 + timedelta(minutes=40))
    at_forty = sweep_at(40)
    sla_sweep(now=T0 + timedelta(minutes=50))
    at_fifty = sweep_at(50)
    sla_sweep(now=T0 + timedelta(minutes=61))
    breached = sweep_at(61)

    assert (at_forty, at_fifty, breached) == (0, 1, 1)
    assert [m.subject_id for m in messages(manager)] == [incident.pk]
    assert [m.subject_id for m in messages(boss)] == [incident.pk]


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_fire_each_step_once(
    p1: Callable[[Team], Incident], network_team: Team, manager: User
) -> None:
    policy([{"when": "no_response", "minutes": 0, "notify": ["group_manager"]}])
    incidents = [p1(network_team) for _ in range(30)]

    counts = at_once(lambda: sweep_at(1), lambda: sweep_at(1))

    assert sum(counts) == 30
    assert Fired.objects.count() == 30
    assert sorted(m.subject_id for m in messages(manager)) == sorted(i.pk for i in incidents)


def test_pages_go_to_the_person_on_call_then_the_secondary(
    p1: Callable[[Team], Incident], network_team: Team, make_user: Callable[..., User]
) -> None:
    primary, secondary = make_user("prim", Role.RESOLVER), make_user("second", Role.RESOLVER)
    for tier, person in ((1, primary), (2, secondary)):
        schedule = create_schedule(
            actor=None,
            fields={"team": network_team, "name": f"Network {tier}", "time_zone": "Europe/Berlin", "tier": tier},
        )
        fields = {"name": "Always", "rotation": "daily", "handoff_time": "09:00", "start_date": date(2026, 12, 1)}
        create_layer(actor=None, fields={"schedule": schedule, **fields, "members": [person.pk]})
    policy(
        [
            {"when": "no_response", "minutes": 0, "notify": ["on_call"], "page": True},
            {"when": "unacknowledged", "minutes": 5, "notify": ["on_call_secondary"], "page": True},
        ]
    )
    incident = p1(network_team)

    sweep_at(1)
    sweep_at(6)

    assert [(m.subject_id, m.needs_ack) for m in messages(primary)] == [(incident.pk, True)]
    assert [(m.subject_id, m.needs_ack) for m in messages(secondary)] == [(incident.pk, True)]


def test_one_person_named_by_two_targets_is_told_once(
    p1: Callable[[Team], Incident], network_team: Team, manager: User, boss: User
) -> None:
    boss.role = Role.INCIDENT_MANAGER
    boss.save()
    policy([{"when": "no_response", "minutes": 0, "notify": ["managers_manager", "incident_managers"]}])
    incident = p1(network_team)

    sweep_at(1)

    entry = TimelineEntry.objects.filter(subject_id=incident.pk, data__has_key="escalation_policy_id").get()
    assert len(messages(boss)) == 1
    assert entry.summary.endswith("told Bea (the group manager's manager)")


@pytest.mark.usefixtures("manager")
def test_a_later_policy_never_waits_behind_incidents_an_earlier_one_covers(
    p1: Callable[[Team], Incident], network_team: Team, make_user: Callable[..., User], agent: User, requester: User
) -> None:
    lead = make_user("ida", Role.INCIDENT_MANAGER)
    steps = [{"when": "no_response", "minutes": 60, "notify": ["group_manager"]}]
    policy(steps, position=1, priorities=[], group_ids=[network_team.pk])
    policy([{"when": "no_response", "minutes": 0, "notify": ["incident_managers"]}], name="Others", priorities=[])
    for _ in range(3):
        p1(network_team)  # the first policy's, not due for an hour
    with frozen_at(T0):
        unplaced = open_incident(actor=agent, caller=requester, title="Printer jam")  # in no group

    fired = sweep_escalations(now=T0 + timedelta(minutes=1), batch=2)

    assert fired == 1
    assert [m.subject_id for m in messages(lead)] == [unplaced.pk]
