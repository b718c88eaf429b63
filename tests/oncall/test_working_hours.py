"""Working hours: the strategies that hand out routed incidents in turn or by load pass over a
member outside their calendar's hours (a night shift past midnight included); a member without
working hours is always in; only incident managers and administrators set them."""

from collections.abc import Callable
from datetime import datetime

import pytest

from keel.accounts.actions import add_team_member, create_team
from keel.accounts.models import Team, User
from keel.accounts.roles import Role
from keel.incidents.actions.records import open_incident
from keel.lib.clock import frozen_at
from keel.lib.errors import Conflict, InvalidInput, NotAllowed
from keel.oncall.actions import create_working_hours, delete_working_hours
from keel.oncall.queries import off_shift
from keel.routing.actions import create_group_assignment, create_rule
from keel.routing.models import Strategy
from keel.sla.actions.setup import create_calendar
from keel.sla.models import Calendar

pytestmark = pytest.mark.django_db

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY_NOON = datetime.fromisoformat("2026-12-07T12:00:00+01:00")  # Paris
MONDAY_LATE = datetime.fromisoformat("2026-12-07T23:30:00+01:00")
TUESDAY_EARLY = datetime.fromisoformat("2026-12-08T03:00:00+01:00")


@pytest.fixture
def days(db: None) -> Calendar:
    windows = [{"weekday": day, "opens": "09:00", "closes": "17:00"} for day in DAYS[:5]]
    return create_calendar(actor=None, fields={"name": "Days", "zone": "Europe/Paris", "windows": windows})


@pytest.fixture
def nights(db: None) -> Calendar:
    windows = [{"weekday": day, "opens": "22:00", "closes": "06:00", "closes_next_day": True} for day in DAYS]
    return create_calendar(actor=None, fields={"name": "Nights", "zone": "Europe/Paris", "windows": windows})


@pytest.fixture
def desk(make_user: Callable[..., User], incident_manager: User) -> Team:
    team = create_team(actor=None, slug="desk", name="Desk")
    for name in ("ana", "ben", "cy"):
        add_team_member(team, make_user(name, Role.RESOLVER))
    create_rule(actor=incident_manager, fields={"name": "Everything", "assignment_group": team})
    create_group_assignment(actor=incident_manager, fields={"team": team, "strategy": Strategy.ROUND_ROBIN})
    return team


def member(team: Team, name: str) -> User:
    return team.members.get(username=name)


def assignees(caller: User, at: datetime, count: int) -> list[str]:
    with frozen_at(at):
        opened = [open_incident(actor=None, caller=caller, title="Laptop slow") for _ in range(count)]
    return [incident.assignee.username if incident.assignee else "" for incident in opened]


def test_round_robin_passes_over_a_member_off_shift(
    desk: Team, days: Calendar, nights: Calendar, requester: User
) -> None:
    create_working_hours(actor=None, fields={"person": member(desk, "ana"), "calendar": days})
    create_working_hours(actor=None, fields={"person": member(desk, "ben"), "calendar": nights})

    assert assignees(requester, MONDAY_NOON, 4) == ["ana", "cy", "ana", "cy"]
    assert assignees(requester, MONDAY_LATE, 2) == ["ben", "cy"]
    assert assignees(requester, TUESDAY_EARLY, 2) == ["ben", "cy"]


def test_off_shift_reads_each_calendar_in_its_zone(desk: Team, days: Calendar, nights: Calendar) -> None:
    ana, ben, cy = (member(desk, name) for name in ("ana", "ben", "cy"))
    create_working_hours(actor=None, fields={"person": ana, "calendar": days})
    create_working_hours(actor=None, fields={"person": ben, "calendar": nights})

    assert off_shift([ana.pk, ben.pk, cy.pk], MONDAY_NOON) == {ben.pk}
    assert off_shift([ana.pk, ben.pk, cy.pk], TUESDAY_EARLY) == {ana.pk}
    assert off_shift([ana.pk, ben.pk, cy.pk], datetime.fromisoformat("2026-12-12T12:00:00+01:00")) == {ana.pk, ben.pk}


def test_only_managers_set_working_hours_once_per_staff_member(
    desk: Team, days: Calendar, agent: User, requester: User, incident_manager: User
) -> None:
    ana = member(desk, "ana")
    with pytest.raises(NotAllowed):
        create_working_hours(actor=agent, fields={"person": ana, "calendar": days})
    with pytest.raises(InvalidInput):
        create_working_hours(actor=incident_manager, fields={"person": requester, "calendar": days})
    row = create_working_hours(actor=incident_manager, fields={"person": ana, "calendar": days})
    with pytest.raises(Conflict):
        create_working_hours(actor=incident_manager, fields={"person": ana, "calendar": days})
    with pytest.raises(NotAllowed):
        delete_working_hours(row, actor=agent)
