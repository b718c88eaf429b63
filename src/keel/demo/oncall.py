"""The demo's on-call schedules: the network team has a primary (a weekly rotation handing off
Mondays at 09:00 Amsterdam time) and a secondary (daily), and the service desk a business-hours
layer over a weekly one; an override covers tomorrow evening. Made with the routing rules, after
the history is played."""

from collections.abc import Mapping
from datetime import datetime, timedelta

from keel.accounts.models import Team
from keel.oncall.actions import create_layer, create_override, create_schedule

ZONE = "Europe/Amsterdam"
OFFICE = [{"weekday": day, "opens": "08:00", "closes": "18:00"} for day in ("mon", "tue", "wed", "thu", "fri")]


def create_oncall_schedules(teams: Mapping[str, Team], *, now: datetime) -> int:
    """Three schedules for two teams, from the teams' own members; returns how many."""
    monday = (now - timedelta(days=now.weekday() + 14)).date()
    network = _members(teams["network"])
    desk = _members(teams["service-desk"])
    primary = create_schedule(
        actor=None, fields={"team": teams["network"], "name": "Network primary", "time_zone": ZONE}
    )
    create_layer(
        actor=None,
        fields={
            "schedule": primary,
            "name": "Weekly",
            "rotation": "weekly",
            "handoff_time": "09:00",
            "start_date": monday,
            "members": network,
        },
    )
    secondary = create_schedule(
        actor=None, fields={"team": teams["network"], "name": "Network secondary", "time_zone": ZONE, "tier": 2}
    )
    create_layer(
        actor=None,
        fields={
            "schedule": secondary,
            "name": "Daily",
            "rotation": "daily",
            "handoff_time": "09:00",
            "start_date": monday,
            "members": [*network[1:], *network[:1]],
        },
    )
    front = create_schedule(
        actor=None,
        fields={
            "team": teams["service-desk"],
            "name": "Service desk",
            "time_zone": ZONE,
            "description": "Office hours by day; out of hours the week's duty agent.",
        },
    )
    create_layer(
        actor=None,
        fields={
            "schedule": front,
            "name": "Out of hours",
            "position": 1,
            "rotation": "weekly",
            "handoff_time": "09:00",
            "start_date": monday,
            "members": desk[::-1],
        },
    )
    create_layer(
        actor=None,
        fields={
            "schedule": front,
            "name": "Office hours",
            "position": 2,
            "rotation": "daily",
            "handoff_time": "08:00",
            "start_date": monday,
            "members": desk,
            "restrictions": OFFICE,
        },
    )
    evening = now.replace(hour=18, minute=0, second=0, microsecond=0) + timedelta(days=1)
    person = teams["network"].members.get(pk=network[-1])
    create_override(
        actor=None,
        fields={
            "schedule": primary,
            "person": person,
            "starts_at": evening,
            "ends_at": evening + timedelta(hours=6),
            "note": "Covering the evening patch window",
        },
    )
    return 3


def _members(team: Team) -> list[int]:
    return list(
        team.members.filter(is_active=True).exclude(role="requester").order_by("username").values_list("pk", flat=True)
    )
