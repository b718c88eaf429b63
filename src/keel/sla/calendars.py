"""Calendars as data: reading what people send (windows, holidays, closures) into a ``CalendarSpec``,
storing it as an immutable version, and reading versions back for the arithmetic in ``business_time``."""

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final

import holidays as holiday_tables

from keel.sla.business_time import (
    SEARCH_DAYS,
    WEEKDAYS,
    CalendarError,
    CalendarSpec,
    Closure,
    Window,
    describe,
    hhmm,
    validate,
)
from keel.sla.models import CalendarVersion

# Public holidays are copied into each calendar version (B5: stored, never looked up at run time)
# for two years back and five ahead of the edit. The engine looks at most SEARCH_DAYS (1 100 days,
# just over three years) past a clock's start, so a version covers every clock attached while it
# is current; ``extend_public_holidays`` (daily) adds years before that stops being true.
HOLIDAY_YEARS_BEFORE: Final = 2
HOLIDAY_YEARS_AHEAD: Final = 5
# A calendar's holidays must reach the year of now + this; 366 days of slack (a leap year) past
# the search bound, so the daily job has a year to run before any clock could miss a holiday.
HOLIDAY_HORIZON: Final = timedelta(days=SEARCH_DAYS + 366)
# Versions stored before they recorded their years were copied for two back and three ahead.
_LEGACY_YEARS_AHEAD: Final = 3
_TIME: Final = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def parse_windows(raw: Sequence[Mapping[str, Any]]) -> tuple[Window, ...]:
    """``[{"weekday": "mon", "opens": "09:00", "closes": "17:00"}]`` → windows; ``24:00`` means midnight.

    A window that closes earlier in the day than it opens is a night shift only when it says so
    with ``"closes_next_day": true`` (see ``_closes_next_day``); the engine then reads it as B2 does.
    """
    windows = []
    for index, item in enumerate(raw):
        weekday = str(item.get("weekday", "")).strip().lower()[:3]
        if weekday not in WEEKDAYS:
            raise CalendarError(
                f"windows[{index}].weekday must be one of {', '.join(WEEKDAYS)} (got {item.get('weekday')!r}).",
                field="windows",
            )
        opens = _minutes(item.get("opens"), f"windows[{index}].opens")
        closes = _minutes(item.get("closes"), f"windows[{index}].closes")
        window = Window(WEEKDAYS.index(weekday), opens, closes)
        _check_next_day(window, item.get("closes_next_day", False), where=f"windows[{index}]")
        windows.append(window)
    return tuple(windows)


def closes_next_day(window: Window) -> bool:
    """B2: a window closing at or before its opening time closes the next day (a night shift, a
    window up to midnight, 00:00–00:00 for the whole day)."""
    return window.closes <= window.opens


def _check_next_day(window: Window, flag: object, *, where: str) -> None:
    """A time typed the wrong way round must not silently become a 16-hour night shift: closing
    before opening needs the explicit flag, and the flag on a same-day window is refused too.
    Midnight (00:00 or 24:00) closes the next day without it: it cannot be read any other way."""
    if not isinstance(flag, bool):
        raise CalendarError(f"{where}.closes_next_day must be true or false (got {flag!r}).", field="windows")
    if closes_next_day(window) == flag or window.closes == 0:
        return
    if flag:
        raise CalendarError(
            f"Window {describe(window)} has closes_next_day but closes the same day, after it opens; "
            "remove closes_next_day (a window lasts at most 24 hours).",
            field="windows",
        )
    if window.closes == window.opens:
        return  # one instant: validate() says how to write a whole day
    raise CalendarError(
        f"Window {describe(window)} closes before it opens. For a night shift that ends the next "
        'morning add "closes_next_day": true; if the times are the wrong way round, swap them.',
        field="windows",
    )


def _minutes(raw: object, where: str) -> int:
    match = _TIME.match(str(raw or "").strip())
    if match is None:
        raise CalendarError(f"{where} must be a time like 09:00 (got {raw!r}).", field="windows")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes:
        raise CalendarError(f"{where} must be 24:00 at the latest (got {raw!r}).", field="windows")
    return (hours * 60 + minutes) % (24 * 60)


def parse_closures(raw: Sequence[Mapping[str, Any]]) -> tuple[Closure, ...]:
    closures = []
    for index, item in enumerate(raw):
        starts = _local(item.get("starts"), f"closures[{index}].starts")
        ends = _local(item.get("ends"), f"closures[{index}].ends")
        closures.append(Closure(starts, ends, str(item.get("name", ""))[:100]))
    return tuple(closures)


def _local(raw: object, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is not None:
        raise CalendarError(
            f"{where} must be a wall-clock time in the calendar's zone like 2025-12-24T13:00 (got {raw!r}).",
            field="closures",
        )
    return moment


def parse_recurring(raw: Sequence[Mapping[str, Any]]) -> tuple[tuple[int, int, str], ...]:
    days = []
    for index, item in enumerate(raw):
        try:
            month, day = int(item.get("month", 0)), int(item.get("day", 0))
            date(2024, month, day)  # a leap year, so 29 February is allowed (E21)
        except (TypeError, ValueError) as error:
            raise CalendarError(
                f"recurring_closures[{index}] must name a real month and day (got {dict(item)!r}).",
                field="recurring_closures",
            ) from error
        days.append((month, day, str(item.get("name", ""))[:100]))
    return tuple(days)


def holiday_years(year: int) -> range:
    """The years of public holidays a calendar edited in ``year`` stores."""
    return range(year - HOLIDAY_YEARS_BEFORE, year + HOLIDAY_YEARS_AHEAD + 1)


def holiday_coverage(version: CalendarVersion) -> range:
    """The years whose public holidays ``version`` holds (stored with it as ``holiday_years``)."""
    stored = version.spec.get("holiday_years")
    if stored is None:
        year = version.created_at.year
        return range(year - HOLIDAY_YEARS_BEFORE, year + _LEGACY_YEARS_AHEAD + 1)
    first, last = stored
    return range(first, last + 1)


def public_holidays(country: str, subdivision: str, *, years: range) -> tuple[tuple[date, str], ...]:
    """The public holidays of a country (and region) from the ``holidays`` package, as stored dates."""
    if not country:
        if subdivision:
            raise CalendarError("Give holiday_country with holiday_subdivision.", field="holiday_country")
        return ()
    try:
        table = holiday_tables.country_holidays(country.upper(), subdiv=subdivision or None, years=years)
    except NotImplementedError as error:
        raise CalendarError(
            f"No public holidays known for country {country!r}; use an ISO 3166 code such as GB or US.",
            field="holiday_country",
        ) from error
    except ValueError as error:
        raise CalendarError(
            f"Country {country.upper()} has no subdivision {subdivision!r} ({error}).", field="holiday_subdivision"
        ) from error
    return tuple(sorted(table.items()))


def build_spec(
    *,
    zone: str,
    windows: tuple[Window, ...],
    holidays: tuple[tuple[date, str], ...],
    closures: tuple[Closure, ...],
    recurring: tuple[tuple[int, int, str], ...],
) -> CalendarSpec:
    spec = CalendarSpec(zone=zone, windows=windows, holidays=holidays, closures=closures, recurring=recurring)
    validate(spec)
    return spec


def spec_json(spec: CalendarSpec) -> dict[str, Any]:
    return {
        "zone": spec.zone,
        "windows": [[w.weekday, w.opens, w.closes] for w in spec.windows],
        "holidays": [[day.isoformat(), name] for day, name in spec.holidays],
        "closures": [[c.starts.isoformat(), c.ends.isoformat(), c.name] for c in spec.closures],
        "recurring": [list(item) for item in spec.recurring],
    }


def spec_from_json(data: Mapping[str, Any]) -> CalendarSpec:
    return CalendarSpec(
        zone=data["zone"],
        windows=tuple(Window(*item) for item in data["windows"]),
        holidays=tuple((date.fromisoformat(day), name) for day, name in data["holidays"]),
        closures=tuple(
            Closure(datetime.fromisoformat(a), datetime.fromisoformat(b), name) for a, b, name in data["closures"]
        ),
        recurring=tuple((month, day, name) for month, day, name in data["recurring"]),
    )


def windows_json(windows: Sequence[Window]) -> list[dict[str, Any]]:
    """Windows as stored on the calendar and answered by the API: each says whether it closes the next day."""
    return [
        {
            "weekday": WEEKDAYS[w.weekday],
            "opens": hhmm(w.opens),
            "closes": hhmm(w.closes),
            "closes_next_day": closes_next_day(w),
        }
        for w in windows
    ]


# Versions never change, so a process keeps each one it has read (and its cached day spans). A
# version id can only be reused after a rolled-back insert (SQLite hands out max(id) + 1 again),
# which a process can only have read inside that transaction: writing a version forgets them all.
_SPECS: dict[int, CalendarSpec] = {}


def forget_specs() -> None:
    _SPECS.clear()


def spec_of_version(version_id: int) -> CalendarSpec:
    spec = _SPECS.get(version_id)
    if spec is None:
        spec = _SPECS[version_id] = spec_from_json(CalendarVersion.objects.get(pk=version_id).spec)
    return spec


def specs_of_versions(version_ids: Sequence[int]) -> dict[int, CalendarSpec]:
    missing = set(version_ids) - set(_SPECS)
    if missing:  # every list page asks; only a process's first sight of a version reads it
        for version_id, spec in CalendarVersion.objects.filter(pk__in=missing).values_list("pk", "spec"):
            _SPECS[version_id] = spec_from_json(spec)
    return {version_id: _SPECS[version_id] for version_id in version_ids}
