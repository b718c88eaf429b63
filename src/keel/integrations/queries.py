"""Reads on monitoring integrations, starting from the user who asks where a user is involved.

Alerts are for IT staff: ``alerts_visible_to`` gives a requester none, and ``alert_for`` answers
them NotFound as it does for an id that does not exist. Sources, maintenance windows, rules and
change events are read by staff too (the views and the API check that; none of them holds a secret).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.db.models import Count, F, Func, OuterRef, Q, QuerySet, Subquery, prefetch_related_objects

from keel.accounts.models import User
from keel.incidents.queries.listing import Page
from keel.integrations.models import Alert, AlertEvent, ChangeEvent, CorrelationRule, MaintenanceWindow, Payload, Source
from keel.integrations.permissions import can_see_alerts
from keel.integrations.states import ACTIVE, PayloadStatus
from keel.lib import clock
from keel.lib.errors import InvalidInput, KeelError, NotFound
from keel.lib.references import by_reference

# Like the incident lists: count at most this far past the page's start, then say "1,000+".
COUNT_CAP: Final = 1_000
# How far back the source list counts payloads (a storm sends hundreds of thousands a day).
RECENT: Final = timedelta(hours=24)
PAST_WINDOWS: Final = 20


@dataclass(frozen=True)
class AlertFilters:
    """What an alert list is narrowed to; empty means any."""

    statuses: Sequence[str] = ()
    severities: Sequence[str] = ()
    source_ids: Sequence[int] = ()
    text: str = ""
    incident_id: int | None = None
    flapping: bool | None = None
    suppressed: bool | None = None


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    """Every alert for IT staff; none for anyone else."""
    return Alert.objects.all() if can_see_alerts(user) else Alert.objects.none()


def _filtered(user: User, filters: AlertFilters) -> QuerySet[Alert]:
    alerts = alerts_visible_to(user)
    if filters.statuses:
        alerts = alerts.filter(status__in=list(filters.statuses))
    if filters.severities:
        alerts = alerts.filter(severity__in=list(filters.severities))
    if filters.source_ids:
        alerts = alerts.filter(source_id__in=list(filters.source_ids))
    if filters.text:
        alerts = alerts.filter(summary__icontains=filters.text)
    if filters.incident_id is not None:
        alerts = alerts.filter(incident_id=filters.incident_id)
    if filters.flapping is not None:
        alerts = alerts.filter(is_flapping=filters.flapping)
    if filters.suppressed is not None:
        alerts = alerts.filter(suppressed_by__isnull=not filters.suppressed)
    return alerts


def alert_page(user: User, filters: AlertFilters, *, offset: int, limit: int) -> Page[Alert]:
    """One page of the alerts this user may see, newest first (by id: the order they first arrived,
    which the indexes give without a sort), counted up to COUNT_CAP
    past its start. The rows come with their source, CI and service (three small reads, no joins
    on the alert table)."""
    matching = _filtered(user, filters)
    rows = list(matching.order_by("-id").select_related("source")[offset : offset + limit])
    attach_places(rows)
    ceiling = offset + COUNT_CAP
    count = matching.order_by()[: ceiling + 1].count()
    return Page(items=rows, count=min(count, ceiling), count_is_capped=count > ceiling, offset=offset, limit=limit)


def attach_places(alerts: Sequence[Alert]) -> None:
    """Load the CIs and services the alerts are placed on, one query each."""
    prefetch_related_objects(list(alerts), "ci", "service")


def alert_for(user: User, alert_id: int | str) -> Alert:
    """The alert with this id if the user may see it; NotFound otherwise (we never say which)."""
    text = str(alert_id)
    alert = (
        alerts_visible_to(user).select_related("source").filter(pk=int(text)).first()
        if text.isascii() and text.isdigit()
        else None
    )
    if alert is None:
        raise NotFound(f"No alert {text!r} that you can see; check the id (the number in /alerts/<id>/).")
    attach_places([alert])
    return alert


def alert_history(alert: Alert) -> list[AlertEvent]:
    """What happened to the alert, oldest first."""
    return list(AlertEvent.objects.filter(alert=alert).order_by("at", "id"))


def alerts_of_incident(incident_id: int, *, limit: int = 20) -> list[Alert]:
    """The incident's alerts, newest first, at most ``limit`` (a storm's incident has thousands)."""
    rows = list(Alert.objects.filter(incident_id=incident_id).select_related("source").order_by("-id")[:limit])
    attach_places(rows)
    return rows


# --- sources ----------------------------------------------------------------------------------


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


# --- maintenance windows, rules, change events ------------------------------------------------


@dataclass(frozen=True)
class Windows:
    current: list[MaintenanceWindow]
    upcoming: list[MaintenanceWindow]
    past: list[MaintenanceWindow]


def maintenance_windows(*, past: int = PAST_WINDOWS) -> Windows:
    """Running now (ending soonest first), planned (starting soonest first), the latest ``past`` ended."""
    now = clock.now()
    rows = MaintenanceWindow.objects.select_related("ci", "service", "created_by")
    return Windows(
        current=list(rows.filter(starts_at__lte=now, ends_at__gt=now).order_by("ends_at", "id")),
        upcoming=list(rows.filter(starts_at__gt=now).order_by("starts_at", "id")),
        past=list(rows.filter(ends_at__lte=now).order_by("-ends_at", "-id")[:past]),
    )


def get_window(window_id: int | str) -> MaintenanceWindow:
    text = str(window_id)
    window = (
        MaintenanceWindow.objects.select_related("ci", "service").filter(pk=int(text)).first()
        if text.isascii() and text.isdigit()
        else None
    )
    if window is None:
        raise NotFound(f"No maintenance window {text!r}; list them at /api/v1/maintenance-windows.")
    return window


def correlation_rules() -> QuerySet[CorrelationRule]:
    return CorrelationRule.objects.select_related("source", "assignment_group").order_by("position", "id")


def get_rule(reference: str | int) -> CorrelationRule:
    return by_reference(
        correlation_rules(),
        reference,
        key="name",
        field="id",
        what="correlation rule",
        give="a rule id or its exact name",
        missing=NotFound,
    )


def change_events(*, source_id: int | None = None, offset: int = 0, limit: int = 50) -> list[ChangeEvent]:
    """The latest change events (newest first), at most ``limit`` from ``offset``."""
    rows = ChangeEvent.objects.select_related("source", "ci").order_by("-at", "-id")
    if source_id is not None:
        rows = rows.filter(source_id=source_id)
    return list(rows[offset : offset + limit])
