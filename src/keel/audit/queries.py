"""Reads on the audit trail: one record's history, and the trail filtered, newest first.

Who may read the whole trail is decided above (``reporting``, which holds the audit pages); these
reads take filters already parsed into ids and times.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.db.models import QuerySet

from keel.audit.models import AuditRecord
from keel.lib.doors import Door
from keel.lib.paging import Page, capped_page, narrowed

# A CSV export streams the rows this many at a time, so memory stays flat however long the trail.
CHUNK: Final = 2_000


@dataclass(frozen=True)
class AuditFilters:
    """What the trail is narrowed to; empty means any. ``since`` is inclusive, ``until`` exclusive."""

    actor_id: int | None = None
    subject_type: str = ""
    subject_id: int | None = None
    door: Door | None = None
    since: datetime | None = None
    until: datetime | None = None


def history_of(subject_type: str, subject_id: int, *, limit: int = 20) -> list[AuditRecord]:
    """The latest audit rows of one record, newest first."""
    rows = AuditRecord.objects.filter(subject_type=subject_type, subject_id=subject_id).select_related("actor")
    return list(rows.order_by("-at", "-pk")[:limit])


def audit_page(filters: AuditFilters, *, offset: int, limit: int) -> Page[AuditRecord]:
    """One page of the matching rows, newest first, counted up to the lists' cap past its start.

    Newest first is an index range scan (``audit_at``); one person's changes use ``audit_actor_at``
    and one record's ``audit_subject_at``."""
    return capped_page(_newest_first(filters), offset=offset, limit=limit)


def audit_rows(filters: AuditFilters) -> Iterator[AuditRecord]:
    """Every matching row, newest first, read a chunk at a time (the CSV export)."""
    return _newest_first(filters).iterator(chunk_size=CHUNK)


def _newest_first(filters: AuditFilters) -> QuerySet[AuditRecord]:
    rows = narrowed(
        AuditRecord.objects.all(),
        actor_id=filters.actor_id,
        subject_type=filters.subject_type or None,
        subject_id=filters.subject_id,
        channel=filters.door,
        at__gte=filters.since,
        at__lt=filters.until,
    )
    return rows.select_related("actor").order_by("-at", "-id")
