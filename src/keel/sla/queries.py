"""Reads on SLA clocks, calendars and policies: what the incident JSON, the record page and reports show."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, Final

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from keel.lib import clock as wall_clock
from keel.lib.api import iso_utc
from keel.lib.errors import InvalidInput, KeelError, NotFound
from keel.lib.references import by_reference
from keel.sla import business_time
from keel.sla.business_time import duration_words
from keel.sla.calendars import spec_of_version, specs_of_versions
from keel.sla.models import Calendar, Clock, ClockEvent, ClockName, Policy
from keel.sla.replay import Event, Kind, Reading, State, replay
from keel.sla.rows import AS_READ, current_clocks


def clock_entries(rows: Sequence[Sequence[Any]], *, now: datetime | None = None) -> dict[int, list[dict[str, Any]]]:
    """The ``sla`` list of each incident's API document from ``rows.current_clocks_sql``'s rows (any
    order); a running clock's business seconds are counted up to ``now``."""
    now = now or wall_clock.now()
    clocks = [(row[0], row[1:]) for row in sorted(rows, key=itemgetter(0, 1))]
    _load_calendars([values for _, values in clocks])
    now_instant, now_text = business_time.instant_of(now), iso_utc(now)
    entries: dict[int, list[dict[str, Any]]] = {}
    for incident_id, values in clocks:
        entries.setdefault(incident_id, []).append(_entry_of(values, now_instant, now_text))
    return entries


def current_clock_entries(
    incident_ids: Sequence[int], *, now: datetime | None = None
) -> dict[int, list[dict[str, Any]]]:
    """The ``sla`` list of each incident's API document (current clocks by name), in one statement."""
    if not incident_ids:
        return {}
    return clock_entries(current_clocks(incident_ids), now=now)


def _entry_of(values: Sequence[Any], now_instant: int, now_shown: Any) -> dict[str, Any]:
    """A clock's entry from its values (``rows.current_clocks_sql``; ``_values_of`` for a
    loaded clock): as read, but a running clock counts on since its last instant and is overdue
    once ``now_shown`` (now written as the times are: API text, whose fixed width sorts as the
    times do, or an aware datetime) is past its target instant."""
    entry = dict(zip(AS_READ, values, strict=False))  # one C call, up to the last field shown as read
    entry["overdue"] = False
    if values[2] == State.RUNNING:
        target, stored, version, since = values[4], values[5], values[8], values[9]
        if since is not None:
            elapsed = stored + _counted_since(version, since, now_instant)
            entry["business_seconds_elapsed"] = elapsed
            entry["business_seconds_left"] = max(target - elapsed, 0)
        entry["overdue"] = values[3] is not None and now_shown > values[3]
    return entry


def _load_calendars(clocks: Sequence[Sequence[Any]]) -> None:
    """One read for the calendar versions of these clocks (``_entry_of``'s values) not yet
    cached; only running clocks count with them."""
    specs_of_versions(sorted({values[8] for values in clocks if values[2] == State.RUNNING}))


def _counted_since(version: int, since: int, now: int) -> int:
    # Counting walks the calendar day by day, and a clock may have run for weeks. Counting adds up
    # over any split and calendar versions never change, so each process keeps what it counted:
    # from a clock's start to the UTC midnight after it (or from today's midnight to the start),
    # and from that midnight to now, shared by every clock of the calendar in the same second.
    midnight = now - now % 86_400
    if since >= midnight:
        return _counted_span(version, midnight, now) - _counted_span(version, midnight, since)
    return _counted_span(version, since, midnight) + _counted_span(version, midnight, now)


@lru_cache(maxsize=20_000)
def _counted_span(version: int, start: int, end: int) -> int:
    return business_time.counted([(0, spec_of_version(version))], start, end)


def incident_sla_panel(incident_id: int, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each clock (current and replaced) with its history: what the record page and /sla show.

    Two queries whatever the history's length: the clocks, then all their events.
    """
    now = now or wall_clock.now()
    clocks = list(Clock.objects.filter(incident_id=incident_id).order_by("name", "id"))
    if not clocks:
        return []
    history = events_by_clock(clocks)
    # A replaced clock stopped before it was replaced (a reopen restarts it): it is shown as stored.
    values = {row.pk: _values_of(row) for row in clocks}
    _load_calendars(list(values.values()))
    now_instant = business_time.instant_of(now)
    panel = []
    for row in clocks:
        events = history[row.pk]
        reading = read_clock(row, events, now)
        entry = _entry_of(values[row.pk], now_instant, now)
        entry["current"] = row.is_current
        entry["percent"] = min(entry["business_seconds_elapsed"] * 100 // max(row.target_s, 1), 100)
        entry["started_at"] = row.started_at
        entry["ended_at"] = row.ended_at
        paused = reading.state == State.PAUSED and reading.pauses
        entry["paused_since"] = business_time.datetime_of(reading.pauses[-1][0]) if paused else None
        entry["history"] = [_history_item(event) for event in events]
        panel.append(entry)
    return panel


def events_by_clock(clocks: Sequence[Clock]) -> dict[int, list[ClockEvent]]:
    """The events of these clocks in one query, each clock's in the order they were recorded."""
    history: dict[int, list[ClockEvent]] = {row.pk: [] for row in clocks}
    for event in ClockEvent.objects.filter(clock__in=clocks).order_by("id"):
        history[event.clock_id].append(event)
    return history


def read_clock(row: Clock, events: Sequence[ClockEvent], at: datetime) -> Reading:
    """Replay a clock from its stored events (the cache is never an input)."""
    schedule = [
        (business_time.instant_of(event.at), spec_of_version(event.calendar_version_id))
        for event in events
        if event.calendar_version_id is not None
    ]
    pure = [Event(Kind(e.kind), business_time.instant_of(e.at), target=e.target_s, percent=e.percent) for e in events]
    return replay(schedule, pure, row.thresholds, business_time.instant_of(at))


def _values_of(row: Clock) -> tuple[Any, ...]:
    """``rows.current_clocks_sql``'s values of a clock loaded by the ORM (its times aware datetimes)."""
    running = row.state == State.RUNNING
    since = business_time.instant_of(row.elapsed_at) if row.elapsed_at is not None else None
    shown = (row.name, row.policy_name, row.state, row.due_at if running else None, row.target_s, row.elapsed_s)
    return (*shown, max(row.target_s - row.elapsed_s, 0), row.breached_at, row.calendar_version_id, since)


_LABELS: Final = {
    Kind.ATTACHED: "Started",
    Kind.PAUSED: "Paused",
    Kind.RESUMED: "Resumed",
    Kind.RETARGETED: "Recalculated",
    Kind.CALENDAR_SWITCHED: "Calendar changed",
    Kind.STOPPED: "Stopped",
    Kind.REOPENED: "Reopened",
    Kind.CANCELLED: "Cancelled",
    Kind.UNMATCHED: "Kept",
    Kind.THRESHOLD: "Warning",
    Kind.BREACHED: "Breached",
}


def _history_item(event: ClockEvent) -> dict[str, Any]:
    data = event.data
    detail = ""
    match event.kind:
        case Kind.ATTACHED:
            detail = f"target {duration_words(event.target_s or 0)} ({data.get('policy', '')})"
        case Kind.PAUSED:
            detail = str(data.get("reason", "")).replace("_", " ")
        case Kind.UNMATCHED:
            detail = (
                f"{data.get('why', '')}: target {duration_words(event.target_s or 0)} ({data.get('policy', '')}) kept"
            )
        case Kind.RETARGETED:
            old, new = int(data.get("old_target_s") or 0), event.target_s or 0
            detail = f"target {duration_words(old)} → {duration_words(new)} ({data.get('policy', '')})"
        case Kind.STOPPED:
            detail = str(data.get("why", ""))
        case Kind.THRESHOLD:
            detail = f"{event.percent}% used" + ("" if data.get("sent") else " (skipped: already past)")
        case Kind.BREACHED:
            detail = "on recalculation" if data.get("on_change") else ""
    if data.get("retroactive"):
        # A clock attached on a re-match starts in the past with the pauses it would have had.
        late = "attached late" if event.kind == Kind.ATTACHED else "from the incident's history"
        detail = f"{detail} ({late})".lstrip()
    return {
        "kind": event.kind,
        "label": _LABELS.get(Kind(event.kind), event.kind),
        "at": event.at,
        "recorded_at": event.recorded_at,
        "business_seconds": 0 if event.kind == Kind.ATTACHED else data.get("elapsed_s"),
        "detail": detail,
        "percent": event.percent,
        "target_seconds": event.target_s,
    }


# --- reports -------------------------------------------------------------------------------

DIMENSIONS: Final = {"priority": "priority", "service": "service_id", "group": "group_id"}
PERIODS: Final = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


@dataclass(frozen=True)
class ComplianceRow:
    key: int | None
    period: datetime | None
    met: int
    breached: int

    @property
    def percent(self) -> float | None:
        total = self.met + self.breached
        return None if total == 0 else round(self.met * 100 / total, 1)


def compliance(
    *, name: str, by: str | None, period: str | None, since: datetime | None, until: datetime | None
) -> list[ComplianceRow]:
    """% of stopped clocks that met their target (cancelled ones excluded), grouped as asked.

    ``name`` = resolution gives "% resolved within SLA", response "% responded within SLA";
    the period is the one the clock stopped in (UTC).
    """
    if name not in ClockName.values:
        raise InvalidInput(f"name must be one of {', '.join(ClockName.values)} (got {name!r}).", field="name")
    if by is not None and by not in DIMENSIONS:
        raise InvalidInput(f"by must be one of {', '.join(DIMENSIONS)} (got {by!r}).", field="by")
    if period is not None and period not in PERIODS:
        raise InvalidInput(f"period must be one of {', '.join(PERIODS)} (got {period!r}).", field="period")
    stopped: QuerySet[Clock] = Clock.objects.filter(name=name, state__in=[State.MET, State.BREACHED])
    if since is not None:
        stopped = stopped.filter(ended_at__gte=since)
    if until is not None:
        stopped = stopped.filter(ended_at__lt=until)
    groups: dict[str, Any] = {}
    if by is not None:
        groups["key"] = F(DIMENSIONS[by])
    if period is not None:
        groups["bucket"] = PERIODS[period]("ended_at", tzinfo=UTC)
    counts = {"met": Count("id", filter=Q(state=State.MET)), "breached": Count("id", filter=Q(state=State.BREACHED))}
    if groups:
        # NULL (no service, no group) last on both databases, so the answer does not depend on which.
        order = [F(name).asc(nulls_last=True) for name in groups]
        rows = list(stopped.annotate(**groups).values(*groups).annotate(**counts).order_by(*order))
    else:
        rows = [stopped.aggregate(**counts)]
    return [
        ComplianceRow(key=row.get("key"), period=row.get("bucket"), met=row["met"], breached=row["breached"])
        for row in rows
    ]


# --- set-up --------------------------------------------------------------------------------


def calendars() -> QuerySet[Calendar]:
    return Calendar.objects.order_by("name")


def policies() -> QuerySet[Policy]:
    return Policy.objects.select_related("calendar", "service").order_by("position", "id")


def calendar_by_reference(
    reference: str | int, *, field: str = "calendar", missing: type[KeelError] = InvalidInput
) -> Calendar:
    """The calendar with this id or name; ``missing=NotFound`` for one named in a URL path."""
    return by_reference(
        Calendar.objects.all(),
        reference,
        key="name",
        field=field,
        what="calendar",
        give="a calendar id or name",
        missing=missing,
    )


def policy_by_reference(reference: str | int) -> Policy:
    """The policy with this id or name, named in a URL path."""
    return by_reference(
        Policy.objects.all(),
        reference,
        key="name",
        field="policy",
        what="policy",
        give="a policy id or name",
        missing=NotFound,
    )
