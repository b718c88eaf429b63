"""The demo's SLAs: London office hours with England's bank holidays, a 24×7 calendar, and a policy
per priority (plus one for VIP callers), so every demo incident gets clocks as it is played."""

from typing import Final

from keel.sla.actions.setup import create_calendar, create_policy
from keel.sla.models import Calendar, Policy

HOUR: Final = 3600
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri")
EVERY_DAY: Final = (*WEEKDAYS, "sat", "sun")

# (name, position, priority, VIP only, calendar, response, resolution): targets in business time.
POLICIES: Final = (
    ("VIP callers", 5, None, True, "24×7", HOUR // 4, 8 * HOUR),
    ("P1 critical", 10, 1, None, "24×7", HOUR // 4, 4 * HOUR),
    ("P2 high", 20, 2, None, "24×7", HOUR // 2, 8 * HOUR),
    ("P3 moderate", 30, 3, None, "London office hours", 4 * HOUR, 30 * HOUR),
    ("P4 low", 40, 4, None, "London office hours", 8 * HOUR, 50 * HOUR),
    ("P5 planning", 50, 5, None, "London office hours", 20 * HOUR, 100 * HOUR),
)


def create_service_levels() -> list[Policy]:
    calendars: dict[str, Calendar] = {
        "London office hours": create_calendar(
            actor=None,
            fields={
                "name": "London office hours",
                "zone": "Europe/London",
                "windows": [{"weekday": day, "opens": "08:00", "closes": "18:00"} for day in WEEKDAYS],
                "holiday_country": "GB",
                "holiday_subdivision": "ENG",
                "recurring_closures": [{"month": 12, "day": 24, "name": "Christmas Eve"}],
            },
        ),
        "24×7": create_calendar(
            actor=None,
            fields={
                "name": "24×7",
                "zone": "UTC",
                "windows": [{"weekday": day, "opens": "00:00", "closes": "00:00"} for day in EVERY_DAY],
            },
        ),
    }
    return [
        create_policy(
            actor=None,
            fields={
                "name": name,
                "position": position,
                "priority": priority,
                "caller_vip": vip,
                "calendar": calendars[calendar],
                "response_target_s": response,
                "resolution_target_s": resolution,
            },
        )
        for name, position, priority, vip, calendar, response, resolution in POLICIES
    ]
