"""Reads on SLA clocks, calendars and policies: what the incident JSON, the record page and reports show."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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
from keel.sla import clock
from keel.sla.calendars import specs_of_versions
from keel.sla.clock import duration_words
from keel.sla.clocks import read_clock
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


def incident_clocks_sql(incidents_table: str) -> RawSQL:
    """A scalar subquery: the JSON text of an incident's current clocks as stored (one index range
    per row); ``sla_json_text`` turns it into the API's ``sla`` list."""
    table = Clock._meta.db_table
    pairs = ", ".join(f"'{name}', c.{name}" for name in _FIELDS)
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT COALESCE(json_agg(json_build_object({pairs}) ORDER BY c.name), '[]'::json)::text "
            f"FROM {table} c WHERE c.incident_id = {incidents_table}.id AND c.is_current"
        )
    else:
        sql = (
            f"SELECT json_group_array(json_object({pairs})) FROM (SELECT * FROM {table} c "
            f"WHERE c.incident_id = {incidents_table}.id AND c.is_current ORDER BY c.name) c"
        )
    return RawSQL(sql, (), output_field=TextField())


def sla_json_text(raw: str | None, *, now: datetime | None = None) -> str:
    """The API's ``sla`` list as JSON text from ``incident_clocks_sql``'s text: running clocks get
    the business seconds counted up to ``now``, which only the calendar arithmetic can say."""
    if not raw or raw == "[]":
        return "[]"
    return json.dumps(sla_json(json.loads(raw), now=now))


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
    specs = specs_of_versions(sorted({row["calendar_version_id"] for row in rows}))
    return [_entry(row, specs, now) for row in rows]


def _entry(row: Mapping[str, Any], specs: Mapping[int, clock.CalendarSpec], now: datetime) -> dict[str, Any]:
    state = row["state"]
    elapsed = row["elapsed_s"]
    elapsed_at = _moment(row["elapsed_at"])
    if state == State.RUNNING and elapsed_at is not None:
        schedule = [(0, specs[row["calendar_version_id"]])]
        elapsed += clock.counted(schedule, clock.instant_of(elapsed_at), clock.instant_of(now))
    due = _moment(row["due_at"])
    breached_at = _moment(row["breached_at"])
    return {
        "name": row["name"],
        "policy": row["policy_name"],
        "state": state,
        "target_at": due if state == State.RUNNING else None,
        "target_seconds": row["target_s"],
        "business_seconds_elapsed": elapsed,
        "business_seconds_left": max(row["target_s"] - elapsed, 0),
        "breached_at": breached_at,
        "overdue": state == State.RUNNING and due is not None and now > due,
    }


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
        case Kind.RETARGETED:
            old, new = int(data.get("old_target_s") or 0), event.target_s or 0
            detail = f"target {duration_words(old)} → {duration_words(new)} ({data.get('policy', '')})"
        case Kind.STOPPED:
            detail = str(data.get("why", ""))
        case Kind.THRESHOLD:
            detail = f"{event.percent}% used" + ("" if data.get("sent") else " (skipped: already past)")
        case Kind.BREACHED:
            detail = "on recalculation" if data.get("on_change") else ""
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
        rows = list(stopped.annotate(**groups).values(*groups).annotate(**counts).order_by(*groups))
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
