"""Maintenance windows: planned work during which the alerts a window covers are kept but open no
incident. Planned, changed and ended through the console, the API and the admin alike, each change
audited field by field (subject ``maintenance_window``)."""

from datetime import datetime
from typing import Any, Final

from keel.accounts.models import User
from keel.audit.actions import create_audited, delete_audited, hold_to, update_audited
from keel.cmdb.models import ConfigurationItem, Service
from keel.integrations.actions._setup import check_manager
from keel.integrations.correlation import clean_matchers
from keel.integrations.models import MaintenanceWindow
from keel.lib import clock
from keel.lib.conditional import IfMatch
from keel.lib.errors import InvalidInput

SUBJECT: Final = "maintenance_window"
# What people set on a window; Keel stamps who planned it and when.
WINDOW_FIELDS: Final = ("name", "starts_at", "ends_at", "matchers", "ci", "service", "reason")


def create_maintenance_window(
    *,
    actor: User | None,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    matchers: object = (),
    ci: ConfigurationItem | None = None,
    service: Service | None = None,
    reason: str = "",
) -> MaintenanceWindow:
    """Plan maintenance: while it runs, the alerts it covers are kept but open no incident."""
    check_manager(actor)
    name, cleaned = check_window(
        name=name, starts_at=starts_at, ends_at=ends_at, matchers=matchers, ci=ci, service=service
    )
    window = MaintenanceWindow(
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        matchers=cleaned,
        ci=ci,
        service=service,
        reason=reason,
        created_by=actor,
        created_at=clock.now(),
    )
    return create_audited(window, subject_type=SUBJECT, actor=actor)


def update_maintenance_window(
    window: MaintenanceWindow, *, actor: User | None, if_match: IfMatch | None = None, **fields: Any
) -> MaintenanceWindow:
    """Change what the window covers or when it runs; only the fields that differ are written."""
    check_manager(actor)
    merged = {**{name: getattr(window, name) for name in WINDOW_FIELDS}, **fields}
    name, cleaned = check_window(
        name=merged["name"],
        starts_at=merged["starts_at"],
        ends_at=merged["ends_at"],
        matchers=merged["matchers"],
        ci=merged["ci"],
        service=merged["service"],
    )
    changes = {**merged, "name": name, "matchers": cleaned}
    update_audited(window, changes, subject_type=SUBJECT, actor=actor, allowed=WINDOW_FIELDS, if_match=if_match)
    return window


def end_maintenance_window(
    window: MaintenanceWindow, *, actor: User | None, if_match: IfMatch | None = None
) -> MaintenanceWindow:
    """End the window now (a window already over is left as it was). One that has not started is
    removed, as nothing happened under it; the window comes back without an id."""
    check_manager(actor)
    now = clock.now()
    if window.ends_at <= now:
        hold_to(window, if_match)
        return window
    if window.starts_at >= now:
        refusal = f"{window.name} is still named by other records; it cannot be removed."
        delete_audited(window, subject_type=SUBJECT, actor=actor, refusal=refusal, if_match=if_match)
        return window
    ended = {"ends_at": now}
    update_audited(window, ended, subject_type=SUBJECT, actor=actor, allowed={"ends_at"}, if_match=if_match)
    return window


def check_window(
    *,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    matchers: object,
    ci: ConfigurationItem | None,
    service: Service | None,
) -> tuple[str, list[dict[str, str]]]:
    """A window's name and matchers as they would be saved; InvalidInput naming what to change."""
    name = " ".join(str(name).split())
    if not name:
        raise InvalidInput("Give the maintenance window a name that says what work it covers.", field="name")
    if ends_at <= starts_at:
        raise InvalidInput("The window must end after it starts.", field="ends_at")
    cleaned = clean_matchers(list(matchers) if isinstance(matchers, tuple) else matchers)
    if not cleaned and ci is None and service is None:
        raise InvalidInput(
            "Say what the window covers: label matchers, a CI or a service "
            "(a window over everything would hide every alert).",
            field="matchers",
        )
    return name, cleaned
