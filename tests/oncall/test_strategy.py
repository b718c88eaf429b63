"""The "on call" assignment strategy: a routed incident goes to the group's first person on call
(primary, then secondary) who is not away, and waits in the queue when nobody is on call."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from keel.accounts.actions import create_team, update_user
from keel.accounts.models import Team, User
from keel.accounts.roles import Role
from keel.incidents.actions.records import open_incident
from keel.lib import clock
from keel.oncall.actions import create_layer, create_override, create_schedule
from keel.oncall.models import Schedule
from keel.routing.actions import create_group_assignment, create_rule
from keel.routing.models import Strategy

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(incident_manager: User) -> Team:
    team = create_team(actor=None, slug="desk", name="Desk")
    create_rule(actor=incident_manager, fields={"name": "Everything", "assignment_group": team})
    create_group_assignment(actor=incident_manager, fields={"team": team, "strategy": Strategy.ON_CALL})
    return team


def _tier(team: Team, tier: int, person: User) -> Schedule:
    schedule = create_schedule(
        actor=None, fields={"team": team, "name": f"Desk {tier}", "time_zone": "UTC", "tier": tier}
    )
    start = (clock.now() - timedelta(days=2)).date()
    fields = {
        "name": "Always",
        "rotation": "daily",
        "handoff_time": "00:00",
        "start_date": start,
        "members": [person.pk],
    }
    create_layer(actor=None, fields={"schedule": schedule, **fields})
    return schedule


def _assignee(caller: User) -> str:
    incident = open_incident(actor=None, caller=caller, title="Laptop slow")
    return incident.assignee.username if incident.assignee else ""


def test_the_primary_on_call_takes_it_and_the_secondary_when_the_primary_is_away(
    desk: Team, make_user: Callable[..., User], requester: User, incident_manager: User
) -> None:
    primary, secondary = make_user("prim", Role.RESOLVER, team=desk), make_user("second", Role.RESOLVER, team=desk)
    _tier(desk, 1, primary)
    _tier(desk, 2, secondary)

    first = _assignee(requester)
    update_user(primary, actor=incident_manager, changes={"away_until": clock.now() + timedelta(days=1)})
    then = _assignee(requester)

    assert (first, then) == ("prim", "second")


def test_someone_on_call_outside_the_group_is_passed_over(
    desk: Team, make_user: Callable[..., User], requester: User
) -> None:
    _tier(desk, 1, make_user("outsider", Role.RESOLVER))
    _tier(desk, 2, make_user("member", Role.RESOLVER, team=desk))

    assert _assignee(requester) == "member"


def test_an_override_is_on_call_and_nobody_on_call_leaves_it_in_the_queue(
    desk: Team, make_user: Callable[..., User], requester: User
) -> None:
    nobody = _assignee(requester)
    primary, cover = make_user("prim", Role.RESOLVER, team=desk), make_user("cover", Role.RESOLVER, team=desk)
    schedule = _tier(desk, 1, primary)
    from_now = clock.now() - timedelta(minutes=1)
    create_override(
        actor=None,
        fields={"schedule": schedule, "person": cover, "starts_at": from_now, "ends_at": from_now + timedelta(hours=2)},
    )

    assert (nobody, _assignee(requester)) == ("", "cover")
