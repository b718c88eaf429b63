"""SLA set-ups used across the tests: London office hours (E1–E25's LON), 24×7, and policies per priority."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from keel.sla.actions.setup import create_calendar, create_policy
from keel.sla.models import Calendar, Policy

LONDON = ZoneInfo("Europe/London")
HOUR = 3600
OFFICE_HOURS = [{"weekday": day, "opens": "09:00", "closes": "17:00"} for day in ("mon", "tue", "wed", "thu", "fri")]


def london(text: str) -> datetime:
    """A wall-clock time in London (BST in June) as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.fixture
def office_hours(db: None) -> Calendar:
    return create_calendar(
        actor=None,
        fields={
            "name": "London office",
            "zone": "Europe/London",
            "windows": OFFICE_HOURS,
            "holiday_country": "GB",
            "holiday_subdivision": "ENG",
        },
    )


@pytest.fixture
def policies(office_hours: Calendar) -> dict[int, Policy]:
    """P1: respond in 30 min, resolve in 2 h; P3: 2 h and 8 h (E11's pair); anything else: 1 h and 16 h."""
    return {
        1: create_policy(
            actor=None,
            fields={
                "name": "P1 critical",
                "position": 10,
                "priority": 1,
                "calendar": office_hours,
                "response_target_s": HOUR // 2,
                "resolution_target_s": 2 * HOUR,
            },
        ),
        3: create_policy(
            actor=None,
            fields={
                "name": "P3 moderate",
                "position": 30,
                "priority": 3,
                "calendar": office_hours,
                "response_target_s": 2 * HOUR,
                "resolution_target_s": 8 * HOUR,
            },
        ),
        0: create_policy(
            actor=None,
            fields={
                "name": "Standard",
                "position": 100,
                "calendar": office_hours,
                "response_target_s": HOUR,
                "resolution_target_s": 16 * HOUR,
            },
        ),
    }
