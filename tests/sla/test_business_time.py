"""Business-time arithmetic against SLA-SEMANTICS §4 (worked examples E1–E25) and §5 (bug reports)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import holidays
import pytest

from keel.sla.business_time import (
    CalendarError,
    CalendarSpec,
    Closure,
    NoWorkingTime,
    Window,
    counted,
    due,
    dues,
    to_instant,
    validate,
)
from keel.sla.replay import Event, Kind, State, replay

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600
ENGLAND = tuple(sorted(holidays.country_holidays("GB", subdiv="ENG", years=range(2020, 2027)).items()))
OFFICE = tuple(Window(day, 9 * 60, 17 * 60) for day in range(5))
LON = [(0, CalendarSpec("Europe/London", OFFICE, ENGLAND))]


def at(text: str, zone: ZoneInfo = LONDON) -> int:
    """A wall-clock time in ``zone`` as an instant."""
    return to_instant(datetime.fromisoformat(text), zone)


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def calendar(zone: str, windows: tuple[Window, ...], **extra: object) -> list[tuple[int, CalendarSpec]]:
    return [(0, CalendarSpec(zone, windows, **extra))]  # type: ignore[arg-type]


def every_day(opens: int, closes: int) -> tuple[Window, ...]:
    return tuple(Window(day, opens, closes) for day in range(7))


@pytest.mark.parametrize(
    ("example", "start", "target", "expected"),
    [
        ("E1 baseline", "2025-06-02T10:00", 4 * HOUR, "2025-06-02T14:00"),
        ("E2 carry over the night", "2025-06-02T15:00", 4 * HOUR, "2025-06-03T11:00"),
        ("E3 start at the weekend", "2025-06-07T11:00", HOUR, "2025-06-09T10:00"),
        ("E4 used up at closing", "2025-06-06T13:00", 4 * HOUR, "2025-06-06T17:00"),
        ("E5 start exactly at close", "2025-06-06T17:00", 1800, "2025-06-09T09:30"),
        ("E7 observed Christmas holidays", "2021-12-24T16:00", 4 * HOUR, "2021-12-29T12:00"),
        ("E24 'one day' is 24 business hours", "2025-06-02T09:00", 24 * HOUR, "2025-06-04T17:00"),
    ],
)
def test_worked_examples_on_london_office_hours(example, start, target, expected):
    assert due(LON, at(start), target) == at(expected), example


def test_e3_counts_from_monday_opening():
    assert counted(LON, at("2025-06-07T11:00"), at("2025-06-09T09:30")) == 1800


def test_e4_breach_is_strictly_after_the_due():
    events = [Event(Kind.ATTACHED, at("2025-06-06T13:00"), target=4 * HOUR)]

    on_time = replay(LON, [*events, Event(Kind.STOPPED, at("2025-06-06T17:00"))], (), at("2025-06-10T00:00"))
    saturday = replay(LON, [*events, Event(Kind.STOPPED, at("2025-06-07T10:00"))], (), at("2025-06-10T00:00"))
    monday = replay(LON, [*events, Event(Kind.STOPPED, at("2025-06-09T09:00") + 1)], (), at("2025-06-10T00:00"))

    assert (on_time.state, on_time.breached_at) == (State.MET, None)
    assert (saturday.state, saturday.elapsed, saturday.breached_at) == (
        State.BREACHED,
        4 * HOUR,
        at("2025-06-06T17:00"),
    )
    assert (monday.state, monday.elapsed - monday.target) == (State.BREACHED, 1)


def test_e6_lunch_break():
    split = calendar(
        "Europe/London", tuple(w for day in range(5) for w in (Window(day, 540, 750), Window(day, 810, 1050)))
    )

    assert due(split, at("2025-06-02T12:00"), HOUR) == at("2025-06-02T14:00")
    assert due(split, at("2025-06-02T12:45"), HOUR) == at("2025-06-02T14:30")


def test_e8_partial_day_closure():
    spec = calendar(
        "Europe/London",
        OFFICE,
        holidays=ENGLAND,
        closures=(Closure(datetime(2025, 12, 24, 13), datetime(2025, 12, 25), "Christmas Eve afternoon"),),
    )

    assert due(spec, at("2025-12-24T11:00"), 3 * HOUR) == at("2025-12-29T10:00")


def test_e9_pause_inside_hours():
    pause = [(at("2025-06-02T11:00"), at("2025-06-02T14:00"))]

    assert due(LON, at("2025-06-02T09:00"), 8 * HOUR, pause) == at("2025-06-03T12:00")
    assert counted(LON, at("2025-06-02T09:00"), at("2025-06-02T17:00"), pause) == 18_000


def test_e10_pause_across_a_weekend_costs_only_its_business_time():
    """glpi#10594: the pause is measured in the calendar, not 24×7 then laid out again."""
    pause = [(at("2025-06-06T16:00"), at("2025-06-09T10:00"))]
    assert due(LON, at("2025-06-06T15:00"), 4 * HOUR, pause) == at("2025-06-09T13:00")

    night = [(at("2025-06-05T17:30"), at("2025-06-06T08:30"))]
    assert due(LON, at("2025-06-05T09:00"), 16 * HOUR, night) == due(LON, at("2025-06-05T09:00"), 16 * HOUR)
    assert due(LON, at("2025-06-05T09:00"), 16 * HOUR, night) == at("2025-06-06T17:00")


def test_e15_spring_forward_counts_real_seconds():
    always = calendar("America/New_York", every_day(0, 0))

    assert due(always, at("2025-03-08T22:00", NEW_YORK), 8 * HOUR) == utc("2025-03-09T11:00")
    assert counted(always, at("2025-03-09T00:00", NEW_YORK), at("2025-03-10T00:00", NEW_YORK)) == 82_800


def test_e16_fall_back_counts_real_seconds():
    always = calendar("America/New_York", every_day(0, 0))

    assert due(always, at("2025-11-01T22:00", NEW_YORK), 8 * HOUR) == utc("2025-11-02T10:00")
    assert counted(always, at("2025-11-02T00:00", NEW_YORK), at("2025-11-03T00:00", NEW_YORK)) == 90_000


def test_e17_a_window_opening_in_the_gap_opens_at_the_transition():
    early = calendar("Europe/London", every_day(90, 300))

    assert to_instant(datetime(2025, 3, 30, 1, 30), LONDON) == utc("2025-03-30T01:00")
    assert due(early, utc("2025-03-30T00:00"), HOUR) == utc("2025-03-30T02:00")


def test_e18_a_window_opening_in_the_repeated_hour_opens_at_its_first_occurrence():
    early = calendar("Europe/London", every_day(90, 300))

    assert due(early, utc("2025-10-26T00:00"), 4 * HOUR) == utc("2025-10-26T04:30")


def test_e19_windows_crossing_midnight_belong_to_their_opening_day():
    nights = calendar("Europe/London", tuple(Window(day, 22 * 60, 6 * 60) for day in range(5)))

    assert due(nights, at("2025-06-07T05:00"), 2 * HOUR) == at("2025-06-09T23:00")
    assert due(nights, at("2025-06-06T23:00"), 4 * HOUR) == at("2025-06-07T03:00")


def test_e20_the_zone_decides():
    kolkata = calendar("Asia/Kolkata", OFFICE)

    assert due(calendar("Europe/London", OFFICE), utc("2025-06-02T08:00"), 8 * HOUR) == utc("2025-06-02T16:00")
    assert due(kolkata, utc("2025-06-02T08:00"), 8 * HOUR) == utc("2025-06-03T08:00")


def test_e21_leap_day_and_its_recurring_closure():
    plain = calendar("UTC", OFFICE)
    leap_closed = calendar("UTC", OFFICE, recurring=((2, 29, "Leap day"),))

    assert due(plain, utc("2024-02-28T13:00"), 16 * HOUR) == utc("2024-03-01T13:00")
    assert due(leap_closed, utc("2024-02-28T13:00"), 16 * HOUR) == utc("2024-03-04T13:00")
    assert due(leap_closed, utc("2025-02-27T13:00"), 16 * HOUR) == utc("2025-03-03T13:00")


def test_e22_a_two_week_shutdown_works_and_no_working_time_is_an_error():
    shutdown = calendar(
        "Europe/London",
        OFFICE,
        holidays=ENGLAND,
        closures=(Closure(datetime(2025, 12, 22), datetime(2026, 1, 3), "Winter shutdown"),),
    )
    assert due(shutdown, at("2025-12-19T16:00"), 2 * HOUR) == at("2026-01-05T10:00")

    with pytest.raises(CalendarError, match="no working time"):
        validate(CalendarSpec("Europe/London", ()))
    closed_for_ever = calendar(
        "Europe/London", OFFICE, closures=(Closure(datetime(2025, 1, 1), datetime(2030, 1, 1), "Gone"),)
    )
    with pytest.raises(NoWorkingTime):
        due(closed_for_ever, at("2025-06-02T09:00"), HOUR)


def test_e23_thresholds_with_and_without_a_pause():
    start, target = at("2025-06-02T09:00"), 8 * HOUR
    amounts = [target * 50 // 100, target * 75 // 100, target * 90 // 100, target]

    plain = dues(LON, start, amounts)
    paused = dues(LON, start, amounts, [(at("2025-06-02T11:00"), at("2025-06-02T12:00"))])

    assert plain == [at("2025-06-02T13:00"), at("2025-06-02T15:00"), at("2025-06-02T16:12"), at("2025-06-02T17:00")]
    assert paused == [at("2025-06-02T14:00"), at("2025-06-02T16:00"), at("2025-06-03T09:12"), at("2025-06-03T10:00")]


def test_e25a_a_new_calendar_version_counts_from_its_edit_on():
    before = CalendarSpec("Europe/London", OFFICE)
    after = CalendarSpec("Europe/London", OFFICE, holidays=((date(2025, 6, 3), "Added"),))
    edited = [(0, before), (at("2025-06-02T16:00"), after)]

    assert due([(0, before)], at("2025-06-02T15:00"), 8 * HOUR) == at("2025-06-03T15:00")
    assert due(edited, at("2025-06-02T15:00"), 8 * HOUR) == at("2025-06-04T15:00")


def test_e25b_a_holiday_added_for_the_past_does_not_change_what_was_counted():
    before = CalendarSpec("Europe/London", OFFICE)
    after = CalendarSpec("Europe/London", OFFICE, holidays=((date(2025, 6, 2), "Added late"),))
    edited = [(0, before), (at("2025-06-03T12:00"), after)]

    assert counted(edited, at("2025-06-02T15:00"), at("2025-06-03T12:00")) == 18_000


def test_zero_target_is_due_at_the_start():
    assert due(LON, at("2025-06-07T11:00"), 0) == at("2025-06-07T11:00")


# --- the clock's lifecycle (replay) --------------------------------------------------------


def test_e11_raised_priority_breaches_retroactively():
    events = [
        Event(Kind.ATTACHED, at("2025-06-02T09:00"), target=8 * HOUR),
        Event(Kind.RETARGETED, at("2025-06-02T12:00"), target=2 * HOUR),
    ]

    reading = replay(LON, events, (50, 75, 90), at("2025-06-02T12:00"))

    assert (reading.elapsed, reading.due) == (10_800, at("2025-06-02T11:00"))
    assert [p for p, instant in reading.thresholds if instant <= at("2025-06-02T12:00")] == [50, 75, 90]


def test_e12_retarget_while_paused_keeps_the_pause():
    """glpi#6902 / #15605: the pause survives a change of SLA."""
    events = [
        Event(Kind.ATTACHED, at("2025-06-02T09:00"), target=8 * HOUR),
        Event(Kind.PAUSED, at("2025-06-02T10:00")),
        Event(Kind.RETARGETED, at("2025-06-02T15:00"), target=4 * HOUR),
    ]
    paused = replay(LON, events, (), at("2025-06-02T15:00"))
    resumed = replay(LON, [*events, Event(Kind.RESUMED, at("2025-06-03T10:00"))], (), at("2025-06-03T10:00"))

    assert (paused.state, paused.elapsed, paused.due) == (State.PAUSED, HOUR, None)
    assert (resumed.state, resumed.due, resumed.breached_at) == (State.RUNNING, at("2025-06-03T13:00"), None)


def test_glpi_15605_retarget_after_resume():
    events = [
        Event(Kind.ATTACHED, at("2025-06-02T09:00"), target=8 * HOUR),
        Event(Kind.PAUSED, at("2025-06-02T10:00")),
        Event(Kind.RESUMED, at("2025-06-03T10:00")),
        Event(Kind.RETARGETED, at("2025-06-03T10:30"), target=4 * HOUR),
    ]

    reading = replay(LON, events, (), at("2025-06-03T10:30"))

    assert (reading.elapsed, reading.remaining, reading.due) == (5400, 9000, at("2025-06-03T13:00"))


def test_e13_downgrade_moves_the_due_but_a_recorded_breach_is_final():
    start = Event(Kind.ATTACHED, at("2025-06-02T09:00"), target=2 * HOUR)
    early = replay(
        LON, [start, Event(Kind.RETARGETED, at("2025-06-02T10:00"), target=8 * HOUR)], (), at("2025-06-02T18:00")
    )
    late = replay(
        LON,
        [
            start,
            Event(Kind.BREACHED, at("2025-06-02T11:00")),
            Event(Kind.RETARGETED, at("2025-06-02T11:30"), target=8 * HOUR),
        ],
        (),
        at("2025-06-02T12:00"),
    )

    assert (early.due, early.breached_at) == (at("2025-06-02T17:00"), None)
    assert (late.due, late.breached_at, late.state) == (at("2025-06-02T17:00"), at("2025-06-02T11:00"), State.RUNNING)


def test_e14_reopen_resumes_with_the_resolved_period_as_a_pause():
    events = [
        Event(Kind.ATTACHED, at("2025-06-02T09:00"), target=8 * HOUR),
        Event(Kind.STOPPED, at("2025-06-02T13:00")),
    ]
    resolved = replay(LON, events, (), at("2025-06-03T09:00"))
    reopened = replay(LON, [*events, Event(Kind.REOPENED, at("2025-06-04T10:00"))], (), at("2025-06-04T10:00"))

    assert resolved.state == State.MET
    assert (reopened.state, reopened.elapsed, reopened.due) == (State.RUNNING, 4 * HOUR, at("2025-06-04T14:00"))


def test_glpi_14148_resuming_credits_the_pause_whatever_state_follows():
    events = [
        Event(Kind.ATTACHED, at("2025-06-02T09:00"), target=2 * HOUR),
        Event(Kind.PAUSED, at("2025-06-02T09:30")),
        Event(Kind.RESUMED, at("2025-06-02T13:00")),
    ]

    reading = replay(LON, events, (), at("2025-06-02T13:00"))

    assert (reading.elapsed, reading.due, reading.breached_at) == (1800, at("2025-06-02T14:30"), None)


def test_a_cancelled_clock_has_no_outcome():
    events = [Event(Kind.ATTACHED, at("2025-06-02T09:00"), target=HOUR), Event(Kind.CANCELLED, at("2025-06-03T09:00"))]

    reading = replay(LON, events, (), at("2025-06-04T09:00"))

    assert (reading.state, reading.breached_at, reading.next_at) == (State.CANCELLED, None, None)


def test_the_sweep_looks_next_at_the_next_threshold_then_one_second_past_the_due():
    events = [Event(Kind.ATTACHED, at("2025-06-02T09:00"), target=8 * HOUR)]
    fired = [*events, *(Event(Kind.THRESHOLD, at("2025-06-02T09:00"), percent=p) for p in (50, 75, 90))]

    assert replay(LON, events, (50, 75, 90), at("2025-06-02T09:00")).next_at == at("2025-06-02T13:00")
    assert replay(LON, fired, (50, 75, 90), at("2025-06-02T09:00")).next_at == at("2025-06-02T17:00") + 1


# --- refusing calendars that cannot measure time -------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (CalendarSpec("Mars/Olympus", OFFICE), "Unknown time zone 'Mars/Olympus'"),
        (CalendarSpec("UTC", (Window(0, 540, 720), Window(0, 660, 900))), "Windows overlap: mon 09:00–12:00"),
        (CalendarSpec("UTC", (Window(0, 22 * 60, 6 * 60), Window(1, 300, 600))), "Windows overlap: mon 22:00–06:00"),
        (CalendarSpec("UTC", (Window(2, 600, 600),)), "opens and closes at 10:00"),
        (CalendarSpec("UTC", ()), "no working time"),
        (
            CalendarSpec("UTC", OFFICE, closures=(Closure(datetime(2025, 1, 2), datetime(2025, 1, 1), "Oops"),)),
            "Closure Oops ends before it starts",
        ),
    ],
)
def test_unusable_calendars_are_refused_with_what_to_fix(spec, message):
    with pytest.raises(CalendarError, match=message):
        validate(spec)


def test_windows_may_touch_across_midnight():
    validate(CalendarSpec("UTC", (Window(0, 22 * 60, 6 * 60), Window(1, 360, 600))))
