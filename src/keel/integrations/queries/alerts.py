"""Reads of alerts, starting from the user who asks: alerts are for IT staff, so
``alerts_visible_to`` gives a requester none, and ``alert_for`` answers them NotFound as it does for
an id that does not exist."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet, prefetch_related_objects

from keel.accounts.models import User
from keel.integrations.models import Alert, AlertEvent
from keel.integrations.permissions import can_see_alerts
from keel.lib.errors import NotFound
from keel.lib.paging import Page, capped_page, narrowed


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
    return narrowed(
        alerts_visible_to(user),
        status__in=list(filters.statuses) or None,
        severity__in=list(filters.severities) or None,
        source_id__in=list(filters.source_ids) or None,
        summary__icontains=filters.text or None,
        incident_id=filters.incident_id,
        is_flapping=filters.flapping,
        suppressed_by__isnull=None if filters.suppressed is None else not filters.suppressed,
    )


def alert_page(user: User, filters: AlertFilters, *, offset: int, limit: int) -> Page[Alert]:
    """One page of the alerts this user may see, newest first (by id: the order they first arrived,
    which the indexes give without a sort), counted up to COUNT_CAP
    past its start. The rows come with their source, CI and service (three small reads, no joins
    on the alert table)."""
    page = capped_page(_filtered(user, filters).order_by("-id").select_related("source"), offset=offset, limit=limit)
    attach_places(page.items)
    return page


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
