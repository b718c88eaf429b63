"""A clock row's history and cache: its events (read once per locked row, extended as they are
appended), their replay, the derived columns written back, and the warnings and breaches that fell
due (``settle``, ``firings_due``: unique rows, so each fires once however many writers race).
Shared by ``clocks`` (the incident's changes, calendar edits) and ``sweep``.

Clock rows and their events are the engine's own bookkeeping: the events are their history, so
these writes leave no audit rows.
"""

from datetime import datetime
from typing import Final

from django.db import IntegrityError, transaction

from keel.lib import clock as wall_clock
from keel.lib.events import publish
from keel.sla import business_time
from keel.sla.events import SlaBreached, SlaWarning
from keel.sla.models import Calendar, CalendarVersion, Clock, ClockEvent
from keel.sla.queries import read_clock
from keel.sla.replay import Kind, Reading, State

# The columns ``set_cache`` derives from a reading: what the sweep writes back (a drift test holds
# them to the model: tests/sla/actions/test_history.py).
CACHE_FIELDS: Final = ("state", "target_s", "due_at", "next_at", "elapsed_s", "elapsed_at", "breached_at", "ended_at")
# What ``store_cache`` compares to tell whether a clock changed: every column but the id and
# ``elapsed_at``, which moves with every read while a running clock's ``elapsed_s`` as of it stays
# true (outside business hours nothing else changes, and the row is not rewritten).
CACHED: Final = tuple(
    field.attname for field in Clock._meta.concrete_fields if field.attname not in {"id", "elapsed_at"}
)


def settle(row: Clock, *, at: datetime, announce: bool, on_change: bool = False) -> Reading:
    """Record every warning and the breach that fell due by ``at``; publish them if ``announce``.

    Warnings passed at attach or on a retarget are recorded as skipped, not sent (B9); a breach
    found on a retarget is published (someone must act), with ``on_change``. Each firing is an
    insert-or-ignore on its unique row, so it is published only by the call that inserted it.
    """
    reading = read_row(row, at)
    fired = False
    for event, fact in firings_due(row, reading, at=at, announce=announce, on_change=on_change):
        try:
            with transaction.atomic():
                event.save()
        except IntegrityError:
            continue
        events_of(row).append(event)
        fired = True
        if fact is not None:
            publish(fact)
    return read_row(row, at) if fired else reading


Firing = tuple[ClockEvent, SlaWarning | SlaBreached | None]


def firings_due(row: Clock, reading: Reading, *, at: datetime, announce: bool, on_change: bool) -> list[Firing]:
    """The warning and breach rows (unsaved) that ``reading`` says fell due by ``at``, with what to publish."""
    now = wall_clock.now().isoformat()
    firings: list[Firing] = []
    sent = announce and not on_change
    for percent, instant in reading.thresholds:
        if instant > business_time.instant_of(at):
            continue
        data: dict[str, object] = {"sent": sent, "detected_at": now, "elapsed_s": reading.target * percent // 100}
        if not sent:
            data["skipped_on"] = "change" if on_change else "attach"
        warning = SlaWarning(
            clock_id=row.pk,
            incident_id=row.incident_id,
            name=row.name,
            percent=percent,
            at=business_time.datetime_of(instant),
            due_at=as_datetime(reading.due),
        )
        firings.append((_event(row, Kind.THRESHOLD, instant, percent=percent, data=data), warning if sent else None))
    due = reading.due
    if (
        reading.state == State.RUNNING
        and due is not None
        and business_time.instant_of(at) > due
        and reading.breached_at is None
    ):
        data = {
            "detected_at": now,
            "on_change": on_change,
            "on_attach": not announce and not on_change,
            "elapsed_s": reading.target,
        }
        breach = SlaBreached(
            clock_id=row.pk,
            incident_id=row.incident_id,
            name=row.name,
            at=business_time.datetime_of(due),
            on_change=on_change,
        )
        firings.append((_event(row, Kind.BREACHED, due, data=data), breach if announce or on_change else None))
    return firings


def _event(row: Clock, kind: Kind, instant: int, *, percent: int | None = None, data: dict[str, object]) -> ClockEvent:
    return ClockEvent(
        clock=row,
        kind=kind,
        at=business_time.datetime_of(instant),
        recorded_at=wall_clock.now(),
        percent=percent,
        data=data,
    )


# --- reading and caching -------------------------------------------------------------------


def events_of(row: Clock) -> list[ClockEvent]:
    """The clock's events, read once per loaded row (rows are loaded locked, per transaction) and
    extended in memory by ``append``."""
    cached: list[ClockEvent] | None = row.__dict__.get("_sla_events")
    if cached is None:
        cached = row.__dict__["_sla_events"] = list(ClockEvent.objects.filter(clock=row).order_by("id"))
    return cached


def read_row(row: Clock, at: datetime) -> Reading:
    return read_clock(row, events_of(row), at)


def store_cache(row: Clock, reading: Reading, at: datetime, before: list[object] | None = None) -> None:
    """Write the derived columns if any differ from ``before`` (a running clock's elapsed_s as of
    elapsed_at stays a true pair, so an unchanged row is not rewritten)."""
    set_cache(row, reading, at)
    if before is None or before != cached_values(row):
        row.save()


def set_cache(row: Clock, reading: Reading, at: datetime) -> None:
    row.state = reading.state
    row.target_s = reading.target
    row.due_at = as_datetime(reading.due)
    row.next_at = as_datetime(reading.next_at)
    row.elapsed_s = reading.elapsed
    row.elapsed_at = business_time.datetime_of(reading.ended_at) if reading.ended_at is not None else at
    row.breached_at = as_datetime(reading.breached_at)
    row.ended_at = as_datetime(reading.ended_at)


def cached_values(row: Clock) -> list[object]:
    return [getattr(row, name) for name in CACHED]


def append(
    row: Clock,
    kind: Kind,
    at: datetime,
    *,
    actor_id: int | None = None,
    target_s: int | None = None,
    percent: int | None = None,
    calendar_version: CalendarVersion | None = None,
    data: dict[str, object] | None = None,
) -> ClockEvent:
    event = ClockEvent.objects.create(
        clock=row,
        kind=kind,
        at=at,
        recorded_at=wall_clock.now(),
        actor_id=actor_id,
        target_s=target_s,
        percent=percent,
        calendar_version=calendar_version,
        data=data or {},
    )
    events_of(row).append(event)
    return event


def current_version(calendar: Calendar) -> CalendarVersion:
    return CalendarVersion.objects.get(calendar=calendar, number=calendar.version)


def as_datetime(instant: int | None) -> datetime | None:
    return None if instant is None else business_time.datetime_of(instant)


def when_words(instant: int) -> str:
    return business_time.datetime_of(instant).strftime("%Y-%m-%d %H:%M UTC")
