"""Every write on monitoring integrations besides the intake itself: sources and their secrets,
acknowledging alerts, maintenance windows, correlation rules. Keyword-only, explicit actor."""

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction

from keel.accounts.models import Team, User, hash_token
from keel.audit.actions import record_changes
from keel.cmdb.models import ConfigurationItem, Service
from keel.integrations.correlation import clean_matchers
from keel.integrations.inbound.generic.mapping import FieldMapping
from keel.integrations.inbound.parsed import Severity
from keel.integrations.intake import Received, receive_for
from keel.integrations.models import Alert, AlertEvent, CorrelationRule, MaintenanceWindow, Source
from keel.integrations.permissions import can_acknowledge_alert, can_manage_integrations
from keel.integrations.samples import test_event
from keel.integrations.states import ACTIVE, AlertEventKind, AlertStatus, GroupBy, OnAllResolved, OnRefire, SourceKind
from keel.lib import clock
from keel.lib.errors import Conflict, InvalidInput, NotAllowed

SUBJECT: Final = "source"


@dataclass(frozen=True)
class IssuedSecret:
    """A source with its secret, which Keel shows this once (only its hash is stored)."""

    source: Source
    secret: str

    @property
    def url(self) -> str:
        return inbound_url(self.source, self.secret)


def inbound_url(source: Source, secret: str) -> str:
    """The URL the source posts to; for PagerDuty-style sources the base URL (the secret is the routing key)."""
    base = f"{settings.KEEL_BASE_URL}/integrations"
    match source.kind:
        case SourceKind.PAGERDUTY:
            return f"{base}/pagerduty"
        case SourceKind.PROMETHEUS:
            return f"{base}/prometheus/{secret}/api/v2/alerts"
        case _:
            return f"{base}/{source.kind}/{secret}"


def _new_secret(kind: str) -> str:
    # PagerDuty's clients expect a 32-character integration key.
    return secrets.token_hex(16) if kind == SourceKind.PAGERDUTY else secrets.token_urlsafe(24)


def _check_manager(actor: User | None) -> None:
    if actor is not None and not can_manage_integrations(actor):
        raise NotAllowed("Only incident managers and administrators manage monitoring sources and rules.")


def create_source(
    *,
    actor: User | None,
    name: str,
    kind: str,
    description: str = "",
    mapping: Mapping[str, Any] | None = None,
    identity_labels: Sequence[str] = (),
    expire_after_s: int = 0,
    assignment_group: Team | None = None,
) -> IssuedSecret:
    """Register a monitoring tool; returns it with its secret (shown once)."""
    _check_manager(actor)
    name = " ".join(str(name).split())
    if not name:
        raise InvalidInput("Give the source a name, e.g. 'prod-alertmanager'.", field="name")
    if kind not in SourceKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(SourceKind.values)} (got {kind!r}).", field="kind")
    fields = _source_fields(kind, mapping=mapping, identity_labels=identity_labels, expire_after_s=expire_after_s)
    secret = _new_secret(kind)
    try:
        with transaction.atomic():
            source = Source.objects.create(
                name=name,
                kind=kind,
                description=description,
                assignment_group=assignment_group,
                token_hash=hash_token(secret),
                token_prefix=secret[:8],
                created_at=clock.now(),
                created_by=actor,
                **fields,
            )
            _audit(source, actor, [("source", "", f"created ({SourceKind(kind).label})")])
    except IntegrityError as error:
        raise InvalidInput(f"A source named {name!r} exists already; pick another name.", field="name") from error
    return IssuedSecret(source=source, secret=secret)


def check_source_settings(
    kind: str, *, mapping: Mapping[str, Any] | None, identity_labels: Sequence[str], expire_after_s: int
) -> dict[str, Any]:
    """The settings a source of this kind would be saved with; InvalidInput naming the bad one (the
    admin's form checks with it before saving)."""
    return _source_fields(kind, mapping=mapping, identity_labels=identity_labels, expire_after_s=expire_after_s)


def _source_fields(
    kind: str, *, mapping: Mapping[str, Any] | None, identity_labels: Sequence[str], expire_after_s: int
) -> dict[str, Any]:
    if kind == SourceKind.GENERIC:
        FieldMapping.from_config(mapping or {})  # refuses a mapping it cannot read, saying what to change
    elif mapping:
        raise InvalidInput("Only generic sources take a field mapping.", field="mapping")
    labels = [str(label).strip() for label in identity_labels]
    if not all(labels) or not isinstance(identity_labels, Sequence) or isinstance(identity_labels, str):
        raise InvalidInput(
            'identity_labels must be a list of label names, e.g. ["alertname", "instance"].', field="identity_labels"
        )
    if not 0 <= int(expire_after_s) <= 30 * 86400:
        raise InvalidInput("expire_after_s must be between 0 (never) and 2592000 (30 days).", field="expire_after_s")
    return {"mapping": dict(mapping or {}), "identity_labels": labels, "expire_after_s": int(expire_after_s)}


def update_source(source: Source, *, actor: User | None, changes: Mapping[str, Any]) -> Source:
    """Change a source's name, description, mapping, identity labels, expiry or assignment group."""
    _check_manager(actor)
    allowed = {"name", "description", "mapping", "identity_labels", "expire_after_s", "assignment_group"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"These cannot be changed: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    merged = {
        "mapping": changes.get("mapping", source.mapping),
        "identity_labels": changes.get("identity_labels", source.identity_labels),
        "expire_after_s": changes.get("expire_after_s", source.expire_after_s),
    }
    fields = {
        **{k: v for k, v in changes.items() if k in {"name", "description", "assignment_group"}},
        **_source_fields(source.kind, **merged),
    }
    if "name" in fields and not str(fields["name"]).strip():
        raise InvalidInput("A source needs a name.", field="name")
    with transaction.atomic():
        audit = []
        for name, value in fields.items():
            old = getattr(source, name)
            if old != value:
                audit.append((name, str(old), str(value)))
                setattr(source, name, value)
        if audit:
            try:
                with transaction.atomic():
                    source.save()
            except IntegrityError as error:
                raise InvalidInput(f"A source named {source.name!r} exists already.", field="name") from error
            _audit(source, actor, audit)
    return source


def rotate_secret(source: Source, *, actor: User | None) -> IssuedSecret:
    """Give the source a new secret: the old URL (or routing key) stops working at once."""
    _check_manager(actor)
    secret = _new_secret(source.kind)
    with transaction.atomic():
        source.token_hash, source.token_prefix = hash_token(secret), secret[:8]
        source.save(update_fields=["token_hash", "token_prefix"])
        _audit(source, actor, [("secret", "…", f"{secret[:8]}… (rotated)")])
    return IssuedSecret(source=source, secret=secret)


def revoke_source(source: Source, *, actor: User | None) -> Source:
    """Stop accepting anything from the source (its alerts and history stay). Revoking twice is a no-op."""
    _check_manager(actor)
    if source.revoked_at is not None:
        return source
    with transaction.atomic():
        source.revoked_at = clock.now()
        source.save(update_fields=["revoked_at"])
        _audit(source, actor, [("revoked_at", "", source.revoked_at.isoformat())])
    return source


def send_test_event(source: Source, *, actor: User | None) -> Received:
    """Store an event of the source's own kind as if the source had sent it (samples.py): it is
    processed like any other, so it shows whether the source's alerts arrive and how they read.

    A revoked source takes nothing (Conflict). A generic source whose mapping cannot read its test
    event is refused with the parser's reason (MalformedPayload), and the event is kept as rejected.
    """
    _check_manager(actor)
    if source.revoked_at is not None:
        raise Conflict(f"{source.name} is revoked and accepts nothing, test events included; create a new source.")
    document = test_event(source, sent_by=str(actor) if actor is not None else "Keel", now=clock.now())
    return receive_for(source, body=orjson.dumps(document), user_agent="Keel test event")


def _audit(source: Source, actor: User | None, changes: Sequence[tuple[str, object, object]]) -> None:
    record_changes(subject_type=SUBJECT, subject_id=source.pk, actor=actor, changes=changes, at=clock.now())


def acknowledge_alert(alert: Alert, *, actor: User) -> Alert:
    """Someone is on it: the alert stops counting as unattended. Acknowledging twice is a no-op."""
    if not can_acknowledge_alert(actor):
        raise NotAllowed("Only IT staff acknowledge alerts.")
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status == AlertStatus.ACKNOWLEDGED:
            return alert
        if alert.status not in ACTIVE:
            raise Conflict(f"The alert is {alert.get_status_display().lower()}; there is nothing to acknowledge.")
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.save(update_fields=["status"])
        AlertEvent.objects.create(alert=alert, at=clock.now(), kind=AlertEventKind.ACKNOWLEDGED, note=f"by {actor}")
    return alert


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
    _check_manager(actor)
    window = MaintenanceWindow(created_by=actor, created_at=clock.now())
    return _save_window(
        window,
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        matchers=matchers,
        ci=ci,
        service=service,
        reason=reason,
    )


def update_maintenance_window(window: MaintenanceWindow, *, actor: User | None, **fields: Any) -> MaintenanceWindow:
    _check_manager(actor)
    current = {
        name: getattr(window, name) for name in ("name", "starts_at", "ends_at", "matchers", "ci", "service", "reason")
    }
    return _save_window(window, **{**current, **fields})


def end_maintenance_window(window: MaintenanceWindow, *, actor: User | None) -> MaintenanceWindow:
    """End the window now (a window already over is left as it was)."""
    _check_manager(actor)
    now = clock.now()
    if window.ends_at <= now:
        return window
    window.ends_at = max(now, window.starts_at)
    if window.ends_at == window.starts_at:
        window.delete()  # it had not started: nothing happened under it
        return window
    window.save(update_fields=["ends_at"])
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


def _save_window(
    window: MaintenanceWindow,
    *,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    matchers: object,
    ci: ConfigurationItem | None,
    service: Service | None,
    reason: str,
) -> MaintenanceWindow:
    name, cleaned = check_window(
        name=name, starts_at=starts_at, ends_at=ends_at, matchers=matchers, ci=ci, service=service
    )
    window.name, window.starts_at, window.ends_at, window.matchers = name, starts_at, ends_at, cleaned
    window.ci, window.service, window.reason = ci, service, reason
    window.save()
    return window


def save_rule(rule: CorrelationRule, *, actor: User | None) -> CorrelationRule:
    """Check and store a correlation rule (the admin and the API write rules through here)."""
    _check_manager(actor)
    check_rule(rule)
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as error:
        raise InvalidInput(f"A rule named {rule.name!r} exists already.", field="name") from error
    return rule


def check_rule(rule: CorrelationRule) -> None:
    """Normalise the rule's name and matchers in place; InvalidInput naming what to change."""
    rule.name = " ".join(str(rule.name).split())
    if not rule.name:
        raise InvalidInput("Give the rule a name.", field="name")
    unknown = [s for s in rule.severities if s not in [level.value for level in Severity]]
    if not isinstance(rule.severities, list) or unknown:
        raise InvalidInput(
            f"severities must be a list of {', '.join(level.value for level in Severity)}.", field="severities"
        )
    rule.matchers = clean_matchers(rule.matchers)
    for field, choices in (("group_by", GroupBy), ("on_all_resolved", OnAllResolved), ("on_refire", OnRefire)):
        if getattr(rule, field) not in choices.values:
            raise InvalidInput(f"{field} must be one of {', '.join(choices.values)}.", field=field)
    if not isinstance(rule.group_labels, list) or not all(
        isinstance(label, str) and label for label in rule.group_labels
    ):
        raise InvalidInput(
            'group_labels must be a list of label names, e.g. ["alertname", "cluster"].', field="group_labels"
        )
    if rule.min_occurrences < 1:
        raise InvalidInput("min_occurrences must be 1 or more.", field="min_occurrences")
