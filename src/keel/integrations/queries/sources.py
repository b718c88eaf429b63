"""Reads of monitoring sources and what they sent (staff read them; the views and the API check
that; none of them holds a secret)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.db.models import Count, F, Func, OuterRef, Q, QuerySet, Subquery

from keel.integrations.models import Alert, Payload, Source
from keel.integrations.states import ACTIVE, PayloadStatus
from keel.lib import clock
from keel.lib.errors import InvalidInput, KeelError, NotFound
from keel.lib.references import by_reference

# How far back the source list counts payloads (a storm sends hundreds of thousands a day).
RECENT: Final = timedelta(hours=24)


@dataclass(frozen=True)
class SourceRow:
    """A source as its list shows it."""

    source: Source
    last_payload_at: datetime | None
    active_alerts: int
    payloads_recent: int
    rejected_recent: int


def source_rows() -> list[SourceRow]:
    """Every source (revoked ones last) with what it sent lately, in three queries whatever the count."""
    latest = Payload.objects.filter(source=OuterRef("pk")).order_by("-received_at").values("received_at")[:1]
    sources = list(
        Source.objects.select_related("assignment_group")
        .annotate(last_payload_at=Subquery(latest))
        .order_by(F("revoked_at").asc(nulls_first=True), "name")
    )
    active = dict(
        Alert.objects.filter(status__in=sorted(ACTIVE))
        .values_list("source_id")
        .annotate(count=Count("id"))
        .values_list("source_id", "count")
    )
    since = clock.now() - RECENT
    recent = {
        source_id: (total, rejected)
        for source_id, total, rejected in Payload.objects.filter(received_at__gte=since)
        .values("source_id")
        .annotate(total=Count("id"), rejected=Count("id", filter=Q(status=PayloadStatus.REJECTED)))
        .values_list("source_id", "total", "rejected")
    }
    return [
        SourceRow(
            source=source,
            last_payload_at=getattr(source, "last_payload_at", None),
            active_alerts=active.get(source.pk, 0),
            payloads_recent=recent.get(source.pk, (0, 0))[0],
            rejected_recent=recent.get(source.pk, (0, 0))[1],
        )
        for source in sources
    ]


def sources() -> QuerySet[Source]:
    return Source.objects.select_related("assignment_group").order_by("name")


def get_source(reference: str | int) -> Source:
    """The source a URL or command names (its id or exact name); NotFound otherwise."""
    return _source(reference, field="id", missing=NotFound)


def source_by_reference(reference: str | int, *, field: str = "source") -> Source:
    """The source a request field names; InvalidInput naming the field otherwise."""
    return _source(reference, field=field, missing=InvalidInput)


def _source(reference: str | int, *, field: str, missing: type[KeelError]) -> Source:
    return by_reference(
        Source.objects.select_related("assignment_group"),
        reference,
        key="name",
        field=field,
        what="monitoring source",
        give="a source id or its exact name",
        missing=missing,
    )


class OctetLength(Func):
    """A text column's size in bytes as stored (UTF-8), on both databases."""

    function = "OCTET_LENGTH"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="LENGTH(CAST(%(expressions)s AS BLOB))", **extra)


def recent_payloads(source: Source, *, limit: int = 20) -> list[Payload]:
    """The source's latest payloads without their bodies; each has ``size`` (bytes)."""
    rows = (
        Payload.objects.filter(source=source)
        .defer("body")
        .annotate(size=OctetLength("body"))
        .order_by("-received_at", "-id")
    )
    return list(rows[:limit])


def payload_ids_since(source: Source, since: datetime) -> list[int]:
    """The ids of everything the source sent since then, oldest first (for a replay)."""
    return list(
        Payload.objects.filter(source=source, received_at__gte=since).order_by("id").values_list("pk", flat=True)
    )


def known_payload_ids(ids: Sequence[int]) -> set[int]:
    """Which of these ids are stored payloads."""
    return set(Payload.objects.filter(pk__in=list(ids)).values_list("pk", flat=True))
