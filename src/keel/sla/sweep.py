"""The SLA sweep: fire the warnings and breaches that fell due, a locked batch at a time.

Run by the scheduler every 30 s (``config/schedule.py``) on every worker at once; see ``sweep``.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from django.db import connection, transaction

from keel.lib import clock as wall_clock
from keel.lib.events import publish_all
from keel.lib.sql import insert_instances
from keel.sla.clock_rows import events_of, firings_due, read_row, set_cache
from keel.sla.models import Clock, ClockEvent


def sweep(*, now: datetime | None = None, batch: int = 500, max_batches: int = 200) -> int:
    """Fire the warnings and breaches that are due; returns how many clocks it looked at.

    Reads only clocks whose ``next_at`` has come (an index range), a batch at a time, each batch
    locked with SKIP LOCKED: workers sweeping at once take disjoint batches, and on SQLite the
    write lock serialises them. Events are read under the lock, so the firing rows are new; their
    unique constraints still refuse a duplicate, which rolls the batch back for the next tick.
    """
    now = now or wall_clock.now()
    touched = 0
    for _ in range(max_batches):
        with transaction.atomic():
            rows = list(
                Clock.objects.select_for_update(skip_locked=True).filter(next_at__lte=now).order_by("next_at")[:batch]
            )
            if not rows:
                break
            _load_events(rows)
            firings = [
                (row, firing)
                for row in rows
                for firing in firings_due(row, read_row(row, now), at=now, announce=True, on_change=False)
            ]
            # One statement, one JSON parameter: the ORM's bulk_create took a third of a sweep
            # composing ~800 firings. A duplicate still fails on its unique constraint (rollback).
            insert_instances([event for _, (event, _) in firings])
            facts = []
            for row, (event, fact) in firings:
                events_of(row).append(event)
                if fact is not None:
                    facts.append(fact)
            publish_all(facts)
            for row in rows:
                set_cache(row, read_row(row, now), now)
            _save_caches(rows)
        touched += len(rows)
        if len(rows) < batch:
            break
    return touched


def _save_caches(rows: Sequence[Clock]) -> None:
    """Write the derived columns of many clocks in one statement on PostgreSQL (``UPDATE … FROM
    (VALUES …)``: Django's ``bulk_update`` CASE chains cost ~1 s per 500 rows to build and run);
    SQLite, in process, takes one UPDATE per row."""
    if connection.vendor != "postgresql":
        for row in rows:
            Clock.objects.filter(pk=row.pk).update(**{name: getattr(row, name) for name in _CACHE_TYPES})
        return
    table = Clock._meta.db_table
    columns = ", ".join(f"{name} = CAST(v.{name} AS {kind})" for name, kind in _CACHE_TYPES.items())
    values = ", ".join(["(%s" + ", %s" * len(_CACHE_TYPES) + ")"] * len(rows))
    params = [value for row in rows for value in (row.pk, *(getattr(row, name) for name in _CACHE_TYPES))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET {columns} FROM (VALUES {values}) AS v(id, {', '.join(_CACHE_TYPES)}) "
            "WHERE c.id = CAST(v.id AS bigint)",
            params,
        )


_CACHE_TYPES: Final = {
    "state": "varchar",
    "target_s": "integer",
    "due_at": "timestamptz",
    "next_at": "timestamptz",
    "elapsed_s": "integer",
    "elapsed_at": "timestamptz",
    "breached_at": "timestamptz",
    "ended_at": "timestamptz",
}


def _load_events(rows: Sequence[Clock]) -> None:
    """Read the events of many clocks in one query into each row's cache (see ``events_of``)."""
    by_clock: dict[int, list[ClockEvent]] = {row.pk: [] for row in rows}
    for event in ClockEvent.objects.filter(clock__in=rows).order_by("id"):
        by_clock[event.clock_id].append(event)
    for row in rows:
        row.__dict__["_sla_events"] = by_clock[row.pk]
