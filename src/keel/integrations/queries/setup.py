"""Reads of monitoring's set-up and context: maintenance windows, correlation rules, the change
events tools reported (staff read them; the views and the API check that)."""

from dataclasses import dataclass
from typing import Final

from django.db.models import QuerySet

from keel.integrations.models import ChangeEvent, CorrelationRule, MaintenanceWindow
from keel.lib import clock
from keel.lib.errors import NotFound
from keel.lib.references import by_reference

PAST_WINDOWS: Final = 20


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
