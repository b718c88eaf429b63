"""The SLA sweep: fire the warnings and breaches that fell due, a locked batch at a time.

Run by the scheduler every 30 s (``config/schedule.py``) on every worker at once; see ``sweep``.
"""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from keel.lib import clock as wall_clock
from keel.lib.events import publish_all
from keel.sla.actions.history import CACHE_FIELDS, events_of, firings_due, read_row, set_cache
from keel.sla.models import Clock
from keel.sla.queries import events_by_clock
from keel.sla.rows import insert_events, write_clocks


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
            # A duplicate still fails on its unique constraint: the batch rolls back for the next tick.
            insert_events([event for _, (event, _) in firings])
            facts = []
            for row, (event, fact) in firings:
                events_of(row).append(event)
                if fact is not None:
                    facts.append(fact)
            publish_all(facts)
            for row in rows:
                set_cache(row, read_row(row, now), now)
            write_clocks(rows, CACHE_FIELDS)
        touched += len(rows)
        if len(rows) < batch:
            break
    return touched


def _load_events(rows: Sequence[Clock]) -> None:
    """Read the events of many clocks in one query into each row's cache (see ``events_of``)."""
    history = events_by_clock(rows)
    for row in rows:
        row.__dict__["_sla_events"] = history[row.pk]
