"""SLA-SEMANTICS B13: invariants of business-time arithmetic, over zones with DST changes (whole-hour,
half-hour, southern hemisphere), windows crossing midnight, days with no window, holidays, closures
and pause/resume sequences."""

import os
import time
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from keel.sla.business_time import CalendarError, CalendarSpec, Closure, Window, counted, due, validate
from keel.sla.replay import Event, Kind, State, replay

ZONES = (
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "America/Santiago",  # southern hemisphere, midnight transitions
    "Asia/Kathmandu",
)
START = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
END = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())
MAX_TARGET = 120 * 3600

pytest_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def windows(draw: st.DrawFn) -> tuple[Window, ...]:
    if draw(st.booleans()) and draw(st.booleans()):
        return tuple(Window(day, 0, 0) for day in range(7))  # 24×7
    chosen: list[Window] = []
    for day in range(7):
        if draw(st.integers(0, 3)) == 0:
            continue  # a day with no working time
        points = sorted(draw(st.sets(st.integers(0, 95), min_size=2, max_size=4)))
        for opens, closes in zip(points[::2], points[1::2], strict=False):
            chosen.append(Window(day, opens * 15, closes * 15))
    if draw(st.booleans()):
        # A night shift crossing midnight, on a day whose own windows it cannot overlap.
        day = draw(st.integers(0, 6))
        chosen = [w for w in chosen if w.weekday not in {day, (day + 1) % 7}]
        chosen.append(Window(day, 22 * 60, 4 * 60))
    return tuple(chosen)


@st.composite
def calendars(draw: st.DrawFn) -> list[tuple[int, CalendarSpec]]:
    days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))
    holidays = tuple((day, "holiday") for day in sorted(draw(st.sets(days, max_size=12))))
    closures = tuple(
        Closure(
            datetime.combine(day, datetime.min.time()) + timedelta(hours=hours),
            datetime.combine(day, datetime.min.time()) + timedelta(hours=hours + length),
            "closure",
        )
        for day, hours, length in draw(st.lists(st.tuples(days, st.integers(0, 23), st.integers(1, 72)), max_size=3))
    )
    shifts = draw(windows())
    # At least an hour a week, so that MAX_TARGET falls due within B10's 1,100-day horizon (a week
    # of 15 minutes cannot reach 39 hours); a calendar that never reaches a due is B10's own test.
    assume(sum(((w.closes - w.opens) % 1440) or 1440 for w in shifts) >= 60)
    spec = CalendarSpec(draw(st.sampled_from(ZONES)), shifts, holidays, closures)
    try:
        validate(spec)
    except CalendarError:
        assume(False)
    return [(0, spec)]


instants = st.integers(START, END)
targets = st.integers(0, MAX_TARGET)


@st.composite
def pauses(draw: st.DrawFn, start: int) -> list[tuple[int, int]]:
    cuts = sorted(draw(st.sets(st.integers(start, start + 30 * 86400), max_size=12)))
    spans = list(zip(cuts[::2], cuts[1::2], strict=False))
    return [(a, b) for a, b in spans if b > a]


@pytest_settings
@given(calendars(), instants, targets)
def test_counted_up_to_the_due_is_the_target(schedule, start, target):
    assert counted(schedule, start, due(schedule, start, target)) == target


@pytest_settings
@given(calendars(), instants, targets, targets)
def test_due_is_non_decreasing_in_the_target(schedule, start, x, y):
    low, high = sorted((x, y))
    assert due(schedule, start, low) <= due(schedule, start, high)


@pytest_settings
@given(calendars(), instants, st.integers(0, 20 * 86400), st.integers(0, 20 * 86400))
def test_counting_is_additive(schedule, a, first, second):
    b, c = a + first, a + first + second
    assert counted(schedule, a, c) == counted(schedule, a, b) + counted(schedule, b, c)


@pytest_settings
@given(calendars(), instants, st.integers(0, MAX_TARGET // 2), st.integers(0, MAX_TARGET // 2))
def test_due_composes(schedule, start, x, y):
    assert due(schedule, start, x + y) == due(schedule, due(schedule, start, x), y)


@pytest_settings
@given(calendars(), instants, targets, st.data())
def test_pauses_never_bring_the_due_forward_and_count_only_their_business_time(schedule, start, target, data):
    paused = data.draw(pauses(start))
    with_pauses = due(schedule, start, target, paused)
    assert with_pauses >= due(schedule, start, target)
    assert counted(schedule, start, with_pauses, paused) == target
    lost = sum(counted(schedule, a, b) for a, b in paused if a < with_pauses)
    assert counted(schedule, start, with_pauses) - target <= lost


@pytest_settings
@given(calendars(), instants, targets, st.integers(0, 20 * 86400))
def test_a_pause_outside_working_time_changes_nothing(schedule, start, target, offset):
    a = start + offset
    first_working_second = due(schedule, a, 1) - 1
    assume(first_working_second > a)
    assert due(schedule, start, target, [(a, first_working_second)]) == due(schedule, start, target)


@pytest_settings
@given(calendars(), instants, targets, st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)))
def test_a_closure_never_brings_the_due_forward(schedule, start, target, day):
    spec = schedule[0][1]
    closed = CalendarSpec(spec.zone, spec.windows, (*spec.holidays, (day, "extra")), spec.closures)
    assert due([(0, closed)], start, target) >= due(schedule, start, target)


@pytest_settings
@given(calendars(), instants, targets, st.data())
def test_pause_and_resume_sequences_replay_like_the_arithmetic(schedule, start, target, data):
    paused = data.draw(pauses(start))
    events = [Event(Kind.ATTACHED, start, target=target)]
    for a, b in paused:
        events += [Event(Kind.PAUSED, a), Event(Kind.RESUMED, b)]
    now = (paused[-1][1] if paused else start) + 1

    reading = replay(schedule, events, (50, 75, 90), now)

    assert reading.due == due(schedule, start, target, paused)
    assert reading.elapsed == counted(schedule, start, now, paused)
    assert reading.state == State.RUNNING
    assert reading.breached_at is None


@settings(max_examples=30, deadline=None)
@given(calendars(), instants, targets, st.sampled_from(["Pacific/Kiritimati", "America/Anchorage", "Asia/Tokyo"]))
def test_results_do_not_depend_on_the_host_time_zone(schedule, start, target, host_zone):
    expected = due(schedule, start, target)
    spec = schedule[0][1]
    original = os.environ.get("TZ")
    os.environ["TZ"] = host_zone
    time.tzset()
    try:
        # A fresh copy, so nothing computed under the first zone is reused.
        again = due([(0, CalendarSpec(spec.zone, spec.windows, spec.holidays, spec.closures))], start, target)
    finally:
        if original is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = original
        time.tzset()
    assert again == expected
