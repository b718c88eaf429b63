"""Handing a routed incident to a member: round robin is fair (within one over 1,000 incidents, two
workers at once included), least loaded takes the lightest, members who are away are skipped, and
a group that works manually keeps its queue."""

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection

from keel.accounts.actions import add_team_member, create_team, update_user
from keel.accounts.models import Team, User
from keel.accounts.roles import Role
from keel.activity.models import TimelineEntry
from keel.audit.models import AuditRecord
from keel.incidents.actions.records import open_incident
from keel.incidents.states import Level
from keel.lib import clock
from keel.lib.errors import NotAllowed
from keel.routing.actions import STRATEGY_SUBJECT, create_group_assignment, create_rule
from keel.routing.models import Strategy
from keel.routing.strategies import least_loaded, next_in_turn
from tests.threads import at_once


def test_the_turn_goes_round_in_name_order_and_survives_the_last_one_leaving() -> None:
    assert next_in_turn(["ana", "ben", "cy"], None) == "ana"
    assert next_in_turn(["ana", "ben", "cy"], "ana") == "ben"
    assert next_in_turn(["ana", "ben", "cy"], "cy") == "ana"
    assert next_in_turn(["ana", "cy"], "ben") == "cy"  # ben left: the one after him
    assert next_in_turn([], "ana") is None


def test_least_loaded_weighs_priorities_and_breaks_ties_by_turn() -> None:
    load = {"ana": {1: 1}, "ben": {5: 3}, "cy": {5: 3}}  # a P1 weighs 5, three P5s weigh 3

    assert least_loaded(["ana", "ben", "cy"], load, None) == "ben"
    assert least_loaded(["ana", "ben", "cy"], load, "ben") == "cy"
    assert least_loaded(["dee"], {}, None) == "dee"


@pytest.fixture
def desk(make_user: Callable[..., User], incident_manager: User) -> Team:
    team = create_team(actor=None, slug="desk", name="Desk")
    for name in ("ana", "ben", "cy"):
        add_team_member(team, make_user(name, Role.RESOLVER))
    create_rule(actor=incident_manager, fields={"name": "Everything", "assignment_group": team})
    return team


def _open(caller: User, title: str = "Laptop slow") -> str:
    incident = open_incident(actor=None, caller=caller, title=title)
    return incident.assignee.username if incident.assignee else ""


@pytest.mark.django_db
def test_round_robin_is_fair_over_a_thousand_incidents(desk: Team, requester: User, incident_manager: User) -> None:
    create_group_assignment(actor=incident_manager, fields={"team": desk, "strategy": Strategy.ROUND_ROBIN})

    counts = Counter(_open(requester) for _ in range(1000))

    assert set(counts) == {"ana", "ben", "cy"}
    assert max(counts.values()) - min(counts.values()) <= 1


@pytest.mark.django_db
def test_least_loaded_gives_the_next_incident_to_the_member_with_least_open_work(
    desk: Team, requester: User, incident_manager: User, make_user: Callable[..., User]
) -> None:
    ana, ben = User.objects.get(username="ana"), User.objects.get(username="ben")
    for who, urgency in ((ana, Level.HIGH), (ben, Level.LOW), (ben, Level.LOW)):
        open_incident(actor=None, caller=requester, title="Busy", assignment_group=desk, assignee=who, urgency=urgency)
    create_group_assignment(actor=incident_manager, fields={"team": desk, "strategy": Strategy.LEAST_LOADED})

    assert [_open(requester) for _ in range(3)] == ["cy", "cy", "ben"]


@pytest.mark.django_db
def test_a_member_who_is_away_gets_nothing_until_they_are_back(
    desk: Team, requester: User, incident_manager: User, admin_user: User
) -> None:
    create_group_assignment(actor=incident_manager, fields={"team": desk, "strategy": Strategy.ROUND_ROBIN})
    update_user(
        User.objects.get(username="ben"), actor=admin_user, changes={"away_until": clock.now() + timedelta(days=1)}
    )

    assert [_open(requester) for _ in range(4)] == ["ana", "cy", "ana", "cy"]


@pytest.mark.django_db
def test_a_manual_group_keeps_the_incident_in_its_queue(desk: Team, requester: User) -> None:
    incident = open_incident(actor=None, caller=requester, title="Laptop slow")

    assert (incident.assignment_group, incident.assignee) == (desk, None)


@pytest.mark.django_db
def test_the_timeline_says_who_the_strategy_picked(desk: Team, requester: User, incident_manager: User) -> None:
    create_group_assignment(actor=incident_manager, fields={"team": desk, "strategy": Strategy.ROUND_ROBIN})

    incident = open_incident(actor=None, caller=requester, title="Laptop slow")
    summaries = TimelineEntry.objects.filter(subject_type="incident", subject_id=incident.pk).values_list(
        "summary", flat=True
    )

    assert "Routed to Desk / Ana by rule 'Everything' (round robin)" in summaries
    assert AuditRecord.objects.filter(subject_type=STRATEGY_SUBJECT, subject_id=desk.pk, field="created").exists()


@pytest.mark.django_db
def test_only_managers_set_a_groups_strategy(desk: Team, agent: User) -> None:
    with pytest.raises(NotAllowed):
        create_group_assignment(actor=agent, fields={"team": desk, "strategy": Strategy.ROUND_ROBIN})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks: one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_two_workers_routing_at_once_share_the_turn_fairly(desk: Team, requester: User, incident_manager: User) -> None:
    create_group_assignment(actor=incident_manager, fields={"team": desk, "strategy": Strategy.ROUND_ROBIN})
    picked: list[str] = []

    def worker() -> None:
        picked.extend(_open(requester, "Alert storm") for _ in range(150))

    at_once(worker, worker)
    counts = Counter(picked)

    assert sum(counts.values()) == 300
    assert counts == {"ana": 100, "ben": 100, "cy": 100}
