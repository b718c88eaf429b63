"""Applying signals to alerts (deduplication, status changes, flapping, CI mapping) in batches,
and a person acknowledging an alert.

``apply_signals`` takes the signals of many payloads (in the order received) and applies them in
memory: the stored alerts of their identities are locked and loaded, new identities start as
alerts not yet inserted, and each signal changes its alert in Python. ``write_changes`` then
writes the batch in a handful of statements whatever its size: the new alerts inserted whole, the
others updated, their events inserted. In between, the caller decides about incidents
(processing.py), so a new alert is written once, with its incident. A payload already applied to
an alert (by its id) changes nothing, so replaying any stored payload creates nothing new. The
statements are ``integrations/rows.py``'s.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from django.db import transaction

from keel.accounts.models import User
from keel.audit.actions import record_changes
from keel.integrations.actions.decisions import DECIDED, Event, event_rows
from keel.integrations.events import AlertAcknowledged
from keel.integrations.inbound.parsed import AlertSignal, SignalStatus
from keel.integrations.inbound.prometheus.fingerprint import fingerprint
from keel.integrations.models import Alert, AlertEvent, Payload, Source
from keel.integrations.permissions import can_acknowledge_alert
from keel.integrations.queries.placement import Placement, place
from keel.integrations.rows import insert_alert_events, insert_new_alerts, lock_alerts, new_alert, update_alerts
from keel.integrations.states import (
    ACTIVE,
    ENDED,
    FLAP_CHANGES,
    FLAP_WINDOW_S,
    AlertEventKind,
    AlertStatus,
)
from keel.lib import clock
from keel.lib.conditional import IfMatch, hold
from keel.lib.errors import Conflict, NotAllowed
from keel.lib.events import publish

SUBJECT: Final = "alert"
_STATUS_OF: Final = {
    SignalStatus.FIRING: AlertStatus.FIRING,
    SignalStatus.ACKNOWLEDGED: AlertStatus.ACKNOWLEDGED,
    SignalStatus.RESOLVED: AlertStatus.RESOLVED,
}
# What a signal may change on an alert (status-only signals change the status alone); with what a
# decision changes, what is written of an alert already stored. Never its key (source, identity).
SIGNALLED: Final = (
    "status",
    "severity",
    "summary",
    "labels",
    "annotations",
    "links",
    "details",
    "occurrences",
    "first_seen_at",
    "last_seen_at",
    "started_at",
    "ends_at",
    "status_changed_at",
    "is_flapping",
    "recent_changes",
    "ci",
    "service",
    "last_payload_id",
)
WRITTEN: Final = (*SIGNALLED, *DECIDED)


@dataclass
class Changes:
    """A batch's signals applied in memory: the alerts they changed (stored ones locked, new ones
    not yet inserted) and the events to record, for ``write_changes``."""

    touched: list[Alert] = field(default_factory=list)
    fresh: dict[tuple[int, str], Alert] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    ignored: int = 0  # acknowledges or resolves of alerts Keel never saw

    def waiting(self) -> list[Alert]:
        """The changed alerts that wait for a decision about an incident."""
        return [alert for alert in self.touched if alert.needs_decision]


def identity_of(source: Source, signal: AlertSignal) -> str:
    """The sender's key, unless the source says which labels make an alert (or the sender has none)."""
    if source.identity_labels and signal.labels:
        return fingerprint({name: signal.labels.get(name, "") for name in source.identity_labels})
    if signal.identity:
        return signal.identity[:255]
    return fingerprint(signal.labels)


def apply_signals(batch: Sequence[tuple[Payload, Sequence[AlertSignal]]]) -> Changes:
    """Apply these signals (payloads in the order received) to their alerts, in memory."""
    keyed = [
        (payload, signal, (payload.source_id, identity_of(payload.source, signal)))
        for payload, signals in batch
        for signal in signals
    ]
    changes = Changes()
    if not keyed:
        return changes
    alerts = {(alert.source_id, alert.identity): alert for alert in lock_alerts({key for _, _, key in keyed})}
    # Status-only signals (an acknowledge, a resolve) never create an alert.
    for payload, signal, key in keyed:
        if signal.severity is not None and key not in alerts:
            alerts[key] = changes.fresh[key] = _new_alert(key, payload)
    placements = _placements(keyed, alerts)
    touched: dict[int, Alert] = {}
    for payload, signal, key in keyed:
        alert = alerts.get(key)
        if alert is None:
            changes.ignored += 1
            continue
        done = _apply(alert, signal, payload, placements)
        if done is None:
            continue
        touched[id(alert)] = alert
        changes.events.extend(
            (alert, {"at": payload.received_at, "kind": kind, "payload_id": payload.pk, "note": note})
            for kind, note in done
        )
    changes.touched = list(touched.values())
    return changes


def write_changes(changes: Changes, decisions: Sequence[Event] = ()) -> set[tuple[int, str]]:
    """Write the changed alerts and their events (and the decisions' events); returns the new
    identities a concurrent processor inserted first, whose signals must be applied again."""
    lost = _insert_fresh(changes.fresh)
    new = {id(alert) for alert in changes.fresh.values()}
    update_alerts([alert for alert in changes.touched if id(alert) not in new], WRITTEN)
    insert_alert_events(event_rows([*changes.events, *decisions]))
    return lost


def naming_lost(
    batch: Sequence[tuple[Payload, Sequence[AlertSignal]]], lost: set[tuple[int, str]]
) -> list[tuple[Payload, list[AlertSignal]]]:
    """The batch's signals about these identities: those ``write_changes`` did not insert."""
    return [
        (payload, [signal for signal in signals if (payload.source_id, identity_of(payload.source, signal)) in lost])
        for payload, signals in batch
    ]


def _new_alert(key: tuple[int, str], payload: Payload) -> Alert:
    """A new alert in memory, not yet inserted; no occurrence yet (``_apply`` counts the first)."""
    source_id, identity = key
    at = payload.received_at
    alert = new_alert(
        {
            "source_id": source_id,
            "identity": identity,
            "first_seen_at": at,
            "last_seen_at": at,
            "status_changed_at": at,
            "occurrences": 0,
        }
    )
    Alert.source.field.set_cached_value(alert, payload.source)  # an incident's description names it
    return alert


def _insert_fresh(fresh: Mapping[tuple[int, str], Alert]) -> set[tuple[int, str]]:
    """Insert the new alerts whole; returns the identities a concurrent processor inserted first.

    In key order: two processors inserting overlapping identities then wait for each other
    instead of deadlocking (seen on PostgreSQL)."""
    ids = insert_new_alerts([fresh[key] for key in sorted(fresh)])
    for key, alert in fresh.items():
        alert.pk = ids.get(key)
    return set(fresh) - set(ids)


Keyed = Sequence[tuple[Payload, AlertSignal, tuple[int, str]]]


def _placements(keyed: Keyed, alerts: Mapping[tuple[int, str], Alert]) -> dict[frozenset[tuple[str, str]], Placement]:
    """Where in the CMDB each new label set is (alerts whose labels did not change keep theirs)."""
    label_sets = {
        frozenset(signal.labels.items()): signal.labels
        for _, signal, key in keyed
        if signal.severity is not None
        and key in alerts
        and (alerts[key].occurrences == 0 or dict(signal.labels) != alerts[key].labels)
    }
    return dict(zip(label_sets, place(list(label_sets.values())), strict=True))


Change = tuple[str, str]


def _apply(
    alert: Alert, signal: AlertSignal, payload: Payload, placements: Mapping[frozenset[tuple[str, str]], Placement]
) -> list[Change] | None:
    """Apply one signal to one alert; None when it changes nothing (a replay of an applied payload).

    Payloads reach an alert in id order from one worker, but two workers' batches can cross: a
    payload older than the last one applied still counts its occurrence, and leaves the status
    and content to the newer one.
    """
    fresh = alert.occurrences == 0
    newer = fresh or payload.pk > alert.last_payload_id
    if payload.replayed and not newer:
        return None
    at = payload.received_at
    if not newer:
        if signal.status == SignalStatus.FIRING and signal.severity is not None:
            alert.occurrences += 1
            alert.last_seen_at = max(alert.last_seen_at, at)
        return []
    alert.last_payload_id = payload.pk
    incoming = _STATUS_OF[signal.status]
    if signal.severity is not None:
        _take_content(alert, signal, at, fresh=fresh, placement=placements.get(frozenset(signal.labels.items())))
    if fresh:
        alert.status = incoming
        alert.status_changed_at = at
        alert.needs_decision = incoming in ACTIVE
        return [(AlertEventKind.FIRED if incoming in ACTIVE else AlertEventKind.RESOLVED, "")]
    return _change_status(alert, incoming, at, signal)


def _take_content(alert: Alert, signal: AlertSignal, at: datetime, *, fresh: bool, placement: Placement | None) -> None:
    labels = dict(signal.labels)
    if placement is not None:
        alert.ci_id, alert.service_id = placement.ci_id, placement.service_id
    alert.severity = str(signal.severity)
    alert.summary = signal.summary[:1024]
    alert.labels = labels
    alert.annotations = dict(signal.annotations)
    alert.links = [{"href": link.href, "text": link.text} for link in signal.links]
    alert.details = _jsonable(signal.details)
    alert.last_seen_at = max(alert.last_seen_at, at)
    alert.ends_at = signal.ends_at
    if fresh or alert.started_at is None:
        alert.started_at = signal.starts_at
    if signal.status == SignalStatus.FIRING:
        alert.occurrences += 1


def _change_status(alert: Alert, incoming: AlertStatus, at: datetime, signal: AlertSignal) -> list[Change]:
    current = AlertStatus(alert.status)
    if current in ACTIVE and incoming == AlertStatus.ACKNOWLEDGED and current != incoming:
        alert.status = incoming
        return [(AlertEventKind.ACKNOWLEDGED, "by the sender")]
    if current in ACTIVE and incoming == AlertStatus.RESOLVED:
        alert.status = incoming
        alert.ends_at = signal.ends_at or at
        return _flip(alert, at, AlertEventKind.RESOLVED)
    if current in ENDED and incoming == AlertStatus.FIRING:
        alert.status = incoming
        return _flip(alert, at, AlertEventKind.REFIRED)
    return []  # the same status again (a re-send), or an acknowledge of an ended alert


def _flip(alert: Alert, at: datetime, kind: str) -> list[Change]:
    """A change between firing and ended: the incident may need a decision; flapping is counted."""
    alert.status_changed_at = at
    alert.needs_decision = True
    now = int(at.timestamp())
    alert.recent_changes = [moment for moment in alert.recent_changes if moment > now - FLAP_WINDOW_S][-FLAP_CHANGES:]
    alert.recent_changes.append(now)
    changes: list[Change] = [(kind, "")]
    if not alert.is_flapping and len(alert.recent_changes) >= FLAP_CHANGES:
        alert.is_flapping = True
        changes.append((AlertEventKind.FLAPPING, f"{len(alert.recent_changes)} changes in {FLAP_WINDOW_S // 60} min"))
    return changes


def _jsonable(details: Mapping[str, object]) -> dict[str, Any]:
    return {str(key): value for key, value in details.items()}


def acknowledge_alert(alert: Alert, *, actor: User, if_match: IfMatch | None = None) -> Alert:
    """Someone is on it: the alert stops counting as unattended. Acknowledging twice is a no-op.
    ``if_match``: the alert's entity tags the client read (it changed since: StaleVersion)."""
    if not can_acknowledge_alert(actor):
        raise NotAllowed("Only IT staff acknowledge alerts.")
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        hold(if_match, alert.entity_tag, record=f"Alert {alert.pk}")
        if alert.status == AlertStatus.ACKNOWLEDGED:
            return alert
        if alert.status not in ACTIVE:
            raise Conflict(f"The alert is {alert.get_status_display().lower()}; there is nothing to acknowledge.")
        was, now = alert.status, clock.now()
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.save(update_fields=["status"])
        AlertEvent.objects.create(alert=alert, at=now, kind=AlertEventKind.ACKNOWLEDGED, note=f"by {actor}")
        acknowledged = [("status", was, alert.status)]
        record_changes(subject_type=SUBJECT, subject_id=alert.pk, actor=actor, changes=acknowledged, at=now)
        publish(AlertAcknowledged(alert_id=alert.pk, actor_id=actor.pk))
    return alert
