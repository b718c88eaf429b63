"""Public holidays stay in force on a calendar nobody edits: each version stores them from two years
back to five ahead, and a daily job adds the years before the engine could reach past them."""

from keel.incidents.actions.records import open_incident
from keel.incidents.states import Level
from keel.lib.clock import frozen_at
from keel.scheduler.tick import tick
from keel.sla.actions.setup import create_calendar, create_policy, extend_public_holidays
from keel.sla.models import CalendarVersion, Clock, ClockEvent
from tests.sla.conftest import HOUR, OFFICE_HOURS, london


def _london_calendar(when="2025-06-02T09:00"):
    with frozen_at(london(when)):
        return create_calendar(
            actor=None,
            fields={
                "name": "London",
                "zone": "Europe/London",
                "windows": OFFICE_HOURS,
                "holiday_country": "GB",
                "holiday_subdivision": "ENG",
            },
        )


def _years(holidays):
    return sorted({int(holiday["date"][:4]) for holiday in holidays})


def _christmas_days(version):
    return [day for day, name in version.spec["holidays"] if name == "Christmas Day"]


def test_a_calendar_stores_public_holidays_from_two_years_back_to_five_ahead(api, incident_manager):
    with frozen_at(london("2025-06-02T09:00")):
        body = (
            api(incident_manager)
            .post(
                "/sla/calendars",
                {
                    "name": "London",
                    "zone": "Europe/London",
                    "windows": OFFICE_HOURS,
                    "holiday_country": "GB",
                    "holiday_subdivision": "ENG",
                },
            )
            .json()
        )

    assert _years(body["holidays"]) == list(range(2023, 2031))
    assert CalendarVersion.objects.get(calendar_id=body["id"]).spec["holiday_years"] == [2023, 2030]


def test_the_daily_job_adds_the_missing_years_as_a_new_version_once(db, agent, requester):
    calendar = _london_calendar()
    create_policy(actor=None, fields={"name": "Any", "calendar": calendar, "resolution_target_s": 8 * HOUR})
    with frozen_at(london("2026-06-01T09:00")):
        early = extend_public_holidays()  # 2030 still reaches past 2026-06-01 + 1 100 days + a year
    with frozen_at(london("2027-06-01T09:00")):
        running = open_incident(actor=agent, caller=requester, title="Disk", impact=Level.LOW, urgency=Level.LOW)

    with frozen_at(london("2027-06-01T10:00")):
        started = tick(worker="w1")
        again = extend_public_holidays()

    first, second = CalendarVersion.objects.filter(calendar=calendar).order_by("number")
    assert (early, again, "sla.extend_public_holidays" in started) == (0, 0, True)
    assert second.spec["holiday_years"] == [2023, 2032]
    assert [day for day, _ in second.spec["holidays"] if day < "2031"] == [day for day, _ in first.spec["holidays"]]
    assert _christmas_days(second)[-2:] == ["2031-12-25", "2032-12-25"]
    calendar.refresh_from_db()
    assert (calendar.version, _years(calendar.holidays)[-1]) == (2, 2032)
    # The clock already running counts on with its version: it covers all it can look at.
    clock = Clock.objects.get(incident_id=running.pk, name="resolution")
    assert (clock.calendar_version_id, ClockEvent.objects.filter(clock=clock).count()) == (first.pk, 1)


def test_an_unedited_calendar_still_closes_on_christmas_six_years_later(db, agent, requester):
    calendar = _london_calendar()
    create_policy(actor=None, fields={"name": "Any", "calendar": calendar, "resolution_target_s": 8 * HOUR})
    for year in range(2026, 2032):  # the job, once a year here (every day in production)
        with frozen_at(london(f"{year}-06-01T09:00")):
            extend_public_holidays()

    with frozen_at(london("2031-12-24T16:00")):  # a Wednesday, GMT
        incident = open_incident(actor=agent, caller=requester, title="Disk", impact=Level.LOW, urgency=Level.LOW)

    # 1 h on Wednesday; Christmas Day and Boxing Day (Thu, Fri) closed; the weekend; 7 h on Monday.
    # Without the job the 2031 holidays were never stored: due Thu 25 December 16:00.
    resolution = Clock.objects.get(incident_id=incident.pk, name="resolution")
    assert resolution.due_at == london("2031-12-29T16:00")


def test_a_version_stored_before_it_recorded_its_years_is_read_as_two_back_three_ahead(db):
    calendar = _london_calendar()
    stored_then = CalendarVersion.objects.get(calendar=calendar)
    # As stored then: holidays for 2023-2028, and no record of which years they were.
    spec = {key: value for key, value in stored_then.spec.items() if key != "holiday_years"}
    stored_then.spec = {**spec, "holidays": [holiday for holiday in spec["holidays"] if holiday[0] < "2029"]}
    stored_then.save()

    with frozen_at(london("2026-06-01T09:00")):
        extended = extend_public_holidays()

    latest = CalendarVersion.objects.get(calendar=calendar, number=2)
    assert (extended, latest.spec["holiday_years"]) == (1, [2023, 2031])
    assert _christmas_days(latest)[-4:] == ["2028-12-25", "2029-12-25", "2030-12-25", "2031-12-25"]
