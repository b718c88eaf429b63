"""Business-time arithmetic: pure functions over UTC instants and integer seconds (SLA-SEMANTICS §3).

An instant is an ``int``: whole seconds since the Unix epoch, UTC. Every span is half-open
``[start, end)``. A calendar (``CalendarSpec``) is an IANA zone, weekly windows in wall-clock time,
and closures; working time is generated from it as sorted, disjoint UTC spans, one local day at a
time, by mapping each wall-clock boundary to the first instant at which the zone's clock reads that
time or later (B3). Nothing here reads the database, the host's ``TZ`` or the current time.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

Span = tuple[int, int]

MINUTES_PER_DAY: Final = 24 * 60
MINUTES_PER_WEEK: Final = 7 * MINUTES_PER_DAY
# B10: a due further away than this is a calendar bug, never an answer (ServiceNow caps at 1 095 days).
SEARCH_DAYS: Final = 1100
# A pause still open, or a clock still running: its end lies beyond any due we will compute.
OPEN_END: Final = 2**62
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CalendarError(ValueError):
    """The calendar cannot be used; the message says what to fix."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NoWorkingTime(CalendarError):
    """No working second within the search bound (B10): the due cannot be computed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="windows")


@dataclass(frozen=True)
class Window:
    """Working hours on one weekday, in the calendar's wall-clock time, in minutes after midnight.

    ``closes <= opens`` closes the next day (a night shift 22:00–06:00; 00:00–00:00 is the whole
    day). The window belongs to the day it opens on (B2).
    """

    weekday: int  # 0 = Monday
    opens: int
    closes: int

    @property
    def minutes(self) -> int:
        return (self.closes - self.opens) % MINUTES_PER_DAY or MINUTES_PER_DAY


@dataclass(frozen=True)
class Closure:
    """Closed from one local wall-clock moment to another: a half day, a shutdown (B5)."""

    starts: datetime  # naive, the calendar's wall-clock time
    ends: datetime
    name: str = ""


@dataclass(frozen=True, eq=False)
class CalendarSpec:
    """Everything needed to regenerate a calendar's working spans: an immutable calendar version.

    Holidays are stored dates (B5), never a library call, so an upgrade of ``holidays`` cannot
    move a past due. ``recurring`` closes (month, day) in every year that has that date.
    """

    zone: str
    windows: tuple[Window, ...]
    holidays: tuple[tuple[date, str], ...] = ()
    closures: tuple[Closure, ...] = ()
    recurring: tuple[tuple[int, int, str], ...] = ()
    _days: dict[date, tuple[Span, ...]] = field(default_factory=dict, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.zone)

    @cached_property
    def holiday_dates(self) -> frozenset[date]:
        return frozenset(day for day, _ in self.holidays)

    @cached_property
    def recurring_dates(self) -> frozenset[tuple[int, int]]:
        return frozenset((month, day) for month, day, _ in self.recurring)

    @property
    def weekly_seconds(self) -> int:
        return sum(window.minutes for window in self.windows) * 60


Piece = tuple[int, CalendarSpec]  # (effective from, calendar version): B12
Schedule = Sequence[Piece]


def check_zone(name: str) -> None:
    """Refuse a time zone that is not an IANA name, saying what to give."""
    if name not in _zone_names():
        raise CalendarError(
            f"Unknown time zone {name!r}; use an IANA name such as Europe/London or America/New_York.",
            field="zone",
        )


def validate(spec: CalendarSpec) -> None:
    """Refuse a calendar that cannot measure time, saying what to fix (B2, B10)."""
    check_zone(spec.zone)
    for window in spec.windows:
        day = WEEKDAYS[window.weekday] if 0 <= window.weekday < 7 else str(window.weekday)
        if not 0 <= window.weekday < 7:
            raise CalendarError(f"Weekday {day} does not exist; use one of {', '.join(WEEKDAYS)}.", field="windows")
        if not (0 <= window.opens < MINUTES_PER_DAY and 0 <= window.closes < MINUTES_PER_DAY):
            raise CalendarError(f"Window on {day}: times must be between 00:00 and 23:59.", field="windows")
        if window.opens == window.closes and window.opens != 0:
            raise CalendarError(
                f"Window on {day} opens and closes at {hhmm(window.opens)}: give a later closing time, "
                "or 00:00–00:00 for the whole day.",
                field="windows",
            )
    _check_overlaps(spec.windows)
    if not spec.windows:
        raise CalendarError("The calendar has no working time; give at least one window.", field="windows")
    for closure in spec.closures:
        if closure.ends <= closure.starts:
            raise CalendarError(
                f"Closure {closure.name or closure.starts.isoformat()} ends before it starts; swap its times.",
                field="closures",
            )


def _check_overlaps(windows: Sequence[Window]) -> None:
    """Windows may touch but not overlap, across midnight and the end of the week too (B2)."""
    spans = sorted((window.weekday * MINUTES_PER_DAY + window.opens, window) for window in windows)
    if len(spans) < 2:
        return
    for (start, window), (next_start, other) in zip(spans, [*spans[1:], spans[0]], strict=True):
        if (next_start - start) % MINUTES_PER_WEEK < window.minutes:
            raise CalendarError(
                f"Windows overlap: {describe(window)} and {describe(other)}; make them separate, or merge them.",
                field="windows",
            )


def describe(window: Window) -> str:
    return f"{WEEKDAYS[window.weekday]} {hhmm(window.opens)}–{hhmm(window.closes)}"


def duration_words(seconds: int) -> str:
    """Business seconds as people read them: "4 h", "2 h 30 min", "45 min", "20 s"."""
    hours, rest = divmod(seconds, 3600)
    minutes, rest = divmod(rest, 60)
    words = " ".join(part for part in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if part)
    return words or f"{rest} s"


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- mapping wall-clock time to instants ---------------------------------------------------


def to_instant(wall: datetime, tz: ZoneInfo) -> int:
    """The first instant at which the zone's clock reads ``wall`` or later (B3).

    An ambiguous time (fall-back) is its first occurrence; a time in a spring-forward gap is the
    transition instant, not Python's ``fold=0`` answer, which lands a whole gap late (E17).
    """
    first = int(wall.replace(tzinfo=tz, fold=0).timestamp())
    if _wall(first, tz) == wall:
        return first
    low, high = int(wall.replace(tzinfo=tz, fold=1).timestamp()), first
    low, high = min(low, high), max(low, high)
    while low < high:
        middle = (low + high) // 2
        if _wall(middle, tz) >= wall:
            high = middle
        else:
            low = middle + 1
    return low


def _wall(instant: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(instant, tz).replace(tzinfo=None)


def local_date(instant: int, tz: ZoneInfo) -> date:
    return datetime.fromtimestamp(instant, tz).date()


def instant_of(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("clock works on aware datetimes only")
    return int(moment.timestamp())


def datetime_of(instant: int) -> datetime:
    return datetime.fromtimestamp(instant, UTC)


# --- working spans -------------------------------------------------------------------------


def day_spans(spec: CalendarSpec, day: date) -> tuple[Span, ...]:
    """Working spans of the windows that open on local ``day``, closures removed (cached per version)."""
    cached = spec._days.get(day)
    if cached is None:
        cached = spec._days[day] = _compute_day(spec, day)
    return cached


def _compute_day(spec: CalendarSpec, day: date) -> tuple[Span, ...]:
    tz = spec.tz
    midnight = datetime.combine(day, time())
    opened: list[Span] = []
    for window in spec.windows:
        if window.weekday != day.weekday():
            continue
        opens = to_instant(midnight + timedelta(minutes=window.opens), tz)
        next_day = 1 if window.closes <= window.opens else 0
        closes = to_instant(midnight + timedelta(days=next_day, minutes=window.closes), tz)
        if closes > opens:
            opened.append((opens, closes))
    if not opened:
        return ()
    opened.sort()
    return tuple(subtract(opened, _closed_near(spec, day)))


def _closed_near(spec: CalendarSpec, day: date) -> list[Span]:
    """Closures that can touch the windows opening on ``day`` (a night shift reaches the next day)."""
    tz = spec.tz
    closed: list[Span] = []
    holidays = spec.holiday_dates
    for offset in (0, 1):
        when = day + timedelta(days=offset)
        if when in holidays or (when.month, when.day) in spec.recurring_dates:
            closed.append((_midnight(when, tz), _midnight(when + timedelta(days=1), tz)))
    closed.extend((to_instant(c.starts, tz), to_instant(c.ends, tz)) for c in spec.closures)
    return _merge(closed)


def _midnight(day: date, tz: ZoneInfo) -> int:
    return to_instant(datetime.combine(day, time()), tz)


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(spans: Iterable[Span], holes: Sequence[Span]) -> Iterator[Span]:
    """``spans`` minus ``holes``; both sorted, ``holes`` disjoint."""
    first = 0
    for start, end in spans:
        while first < len(holes) and holes[first][1] <= start:
            first += 1
        cursor = start
        index = first
        while index < len(holes) and holes[index][0] < end and cursor < end:
            hole_start, hole_end = holes[index]
            if hole_start > cursor:
                yield cursor, hole_start
            cursor = max(cursor, hole_end)
            index += 1
        if cursor < end:
            yield cursor, end


def working_spans(schedule: Schedule, start: int) -> Iterator[Span]:
    """Working spans from ``start`` on, across the schedule's calendar pieces, for at most SEARCH_DAYS."""
    for index, (effective_from, spec) in enumerate(schedule):
        until = schedule[index + 1][0] if index + 1 < len(schedule) else OPEN_END
        if until <= start:
            continue
        begin = max(start, effective_from)
        tz = spec.tz
        first_day = local_date(begin, tz) - timedelta(days=1)
        for offset in range(SEARCH_DAYS + 2):
            spans = day_spans(spec, first_day + timedelta(days=offset))
            if spans and spans[0][0] >= until:
                break
            for span_start, span_end in spans:
                if span_end <= begin or span_start >= until:
                    continue
                yield max(span_start, begin), min(span_end, until)


def counted_spans(schedule: Schedule, start: int, pauses: Sequence[Span]) -> Iterator[Span]:
    """Working time from ``start`` on, minus ``pauses`` (sorted, disjoint): what a clock counts (B8)."""
    return subtract(working_spans(schedule, start), pauses)


def counted(schedule: Schedule, start: int, end: int, pauses: Sequence[Span] = ()) -> int:
    """Business seconds in ``[start, end)`` outside the pauses."""
    total = 0
    if end <= start:
        return 0
    for span_start, span_end in counted_spans(schedule, start, pauses):
        if span_start >= end:
            break
        total += min(span_end, end) - span_start
    return total


def due(schedule: Schedule, start: int, target: int, pauses: Sequence[Span] = ()) -> int:
    """The earliest instant at which counted time from ``start`` reaches ``target`` (B6)."""
    return dues(schedule, start, [target], pauses)[0]


def dues(schedule: Schedule, start: int, targets: Sequence[int], pauses: Sequence[Span] = ()) -> list[int]:
    """``due`` for several targets in one walk (thresholds and the target itself, B9)."""
    order = sorted(range(len(targets)), key=lambda index: targets[index])
    found: dict[int, int] = {}
    consumed = 0
    pending = iter(order)
    current = next(pending, None)
    while current is not None and targets[current] <= 0:
        found[current] = start
        current = next(pending, None)
    if current is not None:
        for span_start, span_end in counted_spans(schedule, start, pauses):
            while current is not None and targets[current] - consumed <= span_end - span_start:
                found[current] = span_start + targets[current] - consumed
                current = next(pending, None)
            if current is None:
                break
            consumed += span_end - span_start
    if current is not None:
        raise NoWorkingTime(
            f"No working time to reach {targets[current]} business seconds within {SEARCH_DAYS} days; "
            "check the calendar's windows and closures."
        )
    return [found[index] for index in range(len(targets))]


# --- the zone table ------------------------------------------------------------------------

_ZONES: dict[str, ZoneInfo] = {}
_NAMES: list[frozenset[str]] = []


def _zone(name: str) -> ZoneInfo:
    cached = _ZONES.get(name)
    if cached is None:
        try:
            cached = _ZONES[name] = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise CalendarError(
                f"Unknown time zone {name!r}; use an IANA name such as Europe/London.", field="zone"
            ) from error
    return cached


def _zone_names() -> frozenset[str]:
    if not _NAMES:
        _NAMES.append(frozenset(available_timezones()))
    return _NAMES[0]
