"""Reads on SLA clocks, calendars and policies: what the incident JSON, the record page and reports show."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils.dateparse import parse_datetime

from keel.lib import clock as wall_clock
from keel.lib.api import iso_utc
from keel.lib.errors import InvalidInput
from keel.lib.references import by_reference
from keel.lib.sqljson import iso_utc_sql, json_flag_sql, json_object_sql
from keel.sla import clock
from keel.sla.calendars import spec_of_version, specs_of_versions
from keel.sla.clock import duration_words
from keel.sla.clock_rows import read_clock
from keel.sla.models import Calendar, Clock, ClockEvent, ClockName, Policy
from keel.sla.replay import Kind, State

# The clock columns an incident document carries (as JSON built by the database).
_FIELDS: Final = (
    "name",
    "policy_name",
    "state",
    "target_s",
    "due_at",
    "elapsed_s",
    "elapsed_at",
    "breached_at",
    "calendar_version_id",
)


def incident_sla_sql(incidents_table: str) -> dict[str, RawSQL]:
    """Two scalar subqueries per incident (each one index range on its clocks):

    - ``sla``: its current clocks as the API's ``sla`` JSON text, final for every clock that is not
      running (met, breached, paused or cancelled clocks count nothing more);
    - ``sla_running``: what each running clock needs to count its business time up to now, or NULL
      when none runs, and then ``sla`` goes out as the database wrote it (``sla_json_text``).
    """
    table = Clock._meta.db_table
    postgres = connection.vendor == "postgresql"
    left = "greatest(c.target_s - c.elapsed_s, 0)" if postgres else "max(c.target_s - c.elapsed_s, 0)"
    entry = json_object_sql(
        "'name', c.name, 'policy', c.policy_name, 'state', c.state, "
        f"'target_at', CASE WHEN c.state = 'running' THEN {iso_utc_sql('c.due_at')} END, "
        "'target_seconds', c.target_s, 'business_seconds_elapsed', c.elapsed_s, "
        f"'business_seconds_left', {left}, 'breached_at', {iso_utc_sql('c.breached_at')}, "
        f"'overdue', {json_flag_sql('1 = 0')}"
    )
    live = json_object_sql(
        f"'name', c.name, 'since', {iso_utc_sql('c.elapsed_at')}, 'calendar', c.calendar_version_id, "
        f"'elapsed', c.elapsed_s, 'target', c.target_s, 'due', {iso_utc_sql('c.due_at')}"
    )
    clocks = f"FROM {table} c WHERE c.incident_id = {incidents_table}.id AND c.is_current"
    if postgres:
        sla = f"SELECT COALESCE(json_agg({entry} ORDER BY c.name), '[]'::json)::text {clocks}"
        running = f"SELECT json_agg({live})::text {clocks} AND c.state = 'running'"
    else:
        sla = f"SELECT json_group_array(json({entry})) FROM (SELECT * {clocks} ORDER BY c.name) c"
        running = (
            f"SELECT CASE WHEN count(*) > 0 THEN json_group_array(json({live})) END {clocks} AND c.state = 'running'"
        )
    return {
        "sla": RawSQL(sla, (), output_field=TextField()),
        "sla_running": RawSQL(running, (), output_field=TextField()),
    }


def sla_json_text(entries: str | None, running: str | None, *, now: datetime | None = None) -> str:
    """The API's ``sla`` list as JSON text from ``incident_sla_sql``'s two columns: the database's
    text as is unless a clock runs, whose business seconds up to ``now`` only the calendar can say."""
    if running is None:
        return entries or "[]"
    now = now or wall_clock.now()
    live = {row["name"]: row for row in json.loads(running)}
    specs_of_versions(sorted({row["calendar"] for row in live.values()}))  # one read for the uncached
    patched = json.loads(entries or "[]")
    for entry in patched:
        row = live.get(entry["name"])
        if row is not None:
            since, due = _moment(row["since"]), _moment(row["due"])
            entry.update(
                _running(row["elapsed"], row["target"], since=since, due=due, version=row["calendar"], now=now)
            )
    return json.dumps(patched)


def _running(
    elapsed: int, target: int, *, since: datetime | None, due: datetime | None, version: int, now: datetime
) -> dict[str, Any]:
    """A running clock's live figures: business seconds counted since its last event, added."""
    if since is not None:
        elapsed += _counted_since(version, clock.instant_of(since), clock.instant_of(now))
    return {
        "business_seconds_elapsed": elapsed,
        "business_seconds_left": max(target - elapsed, 0),
        "overdue": due is not None and now > due,
    }


def _counted_since(version: int, since: int, now: int) -> int:
    # Counting walks the calendar day by day, and a clock may have run for weeks: the part before
    # today's UTC midnight never changes (calendar versions are immutable), so each process keeps it.
    # Today's part is the same for every clock of that calendar read in the same second.
    midnight = now - now % 86_400
    if since >= midnight:
        return _counted(version, since, now)
    return _counted_span(version, since, midnight) + _counted_span(version, midnight, now)


@lru_cache(maxsize=20_000)
def _counted_span(version: int, start: int, end: int) -> int:
    return _counted(version, start, end)


def _counted(version: int, start: int, end: int) -> int:
    return clock.counted([(0, spec_of_version(version))], start, end)


def sla_json(rows: Sequence[Mapping[str, Any]], *, now: datetime | None = None) -> list[dict[str, Any]]:
    """``sla_entries`` with times as the API writes them (ISO 8601 UTC with microseconds)."""
    return [
        {key: iso_utc(value) if isinstance(value, datetime) else value for key, value in entry.items()}
        for entry in sla_entries(rows, now=now)
    ]


def incident_clock_rows(incident_id: int) -> list[dict[str, Any]]:
    """The same rows as ``incident_clocks_sql`` for one incident already in memory."""
    rows = Clock.objects.filter(incident_id=incident_id, is_current=True).order_by("name").values(*_FIELDS)
    return list(rows)


def sla_entries(rows: Sequence[Mapping[str, Any]], *, now: datetime | None = None) -> list[dict[str, Any]]:
    """The ``sla`` list of the incident API: live business seconds for running clocks."""
    now = now or wall_clock.now()
    specs_of_versions(sorted({row["calendar_version_id"] for row in rows}))  # one read for the uncached
    return [_entry(row, now) for row in rows]


def _entry(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    state, elapsed, target = row["state"], row["elapsed_s"], row["target_s"]
    due = _moment(row["due_at"])
    entry = {
        "name": row["name"],
        "policy": row["policy_name"],
        "state": state,
        "target_at": due if state == State.RUNNING else None,
        "target_seconds": target,
        "business_seconds_elapsed": elapsed,
        "business_seconds_left": max(target - elapsed, 0),
        "breached_at": _moment(row["breached_at"]),
        "overdue": False,
    }
    if state == State.RUNNING:
        since = _moment(row["elapsed_at"])
        entry.update(_running(elapsed, target, since=since, due=due, version=row["calendar_version_id"], now=now))
    return entry


def _moment(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(str(value))
    if parsed is None:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def incident_sla_panel(incident_id: int, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each clock (current and replaced) with its history: what the record page and /sla show.

    Two queries whatever the history's length: the clocks, then all their events.
    """
    now = now or wall_clock.now()
    clocks = list(Clock.objects.filter(incident_id=incident_id).order_by("name", "id"))
    if not clocks:
        return []
    history: dict[int, list[ClockEvent]] = {row.pk: [] for row in clocks}
    for event in ClockEvent.objects.filter(clock__in=clocks).order_by("id"):
        history[event.clock_id].append(event)
    rows = [{name: getattr(row, name) for name in _FIELDS} for row in clocks if row.is_current]
    current = {entry["name"]: entry for entry in sla_entries(rows, now=now)}
    panel = []
    for row in clocks:
        events = history[row.pk]
        reading = read_clock(row, events, now)
        entry = dict(current[row.name]) if row.is_current else _entry_of_past(row)
        entry["current"] = row.is_current
        entry["percent"] = min(entry["business_seconds_elapsed"] * 100 // max(row.target_s, 1), 100)
        entry["started_at"] = row.started_at
        entry["ended_at"] = row.ended_at
        paused = reading.state == State.PAUSED and reading.pauses
        entry["paused_since"] = clock.datetime_of(reading.pauses[-1][0]) if paused else None
        entry["history"] = [_history_item(event) for event in events]
        panel.append(entry)
    return panel


def _entry_of_past(row: Clock) -> dict[str, Any]:
    return {
        "name": row.name,
        "policy": row.policy_name,
        "state": row.state,
        "target_at": None,
        "target_seconds": row.target_s,
        "business_seconds_elapsed": row.elapsed_s,
        "business_seconds_left": max(row.target_s - row.elapsed_s, 0),
        "breached_at": row.breached_at,
        "overdue": False,
    }


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


def calendar_by_reference(reference: str | int, *, field: str = "calendar") -> Calendar:
    return by_reference(
        Calendar.objects.all(), reference, key="name", field=field, what="calendar", give="a calendar id or name"
    )


def policy_by_reference(reference: str | int) -> Policy:
    return by_reference(
        Policy.objects.all(), reference, key="name", field="policy", what="policy", give="a policy id or name"
    )
