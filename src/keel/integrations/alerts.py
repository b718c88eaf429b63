"""Applying signals to alerts: deduplication, status changes, flapping, CI mapping. In batches.

``apply_signals`` takes the signals of many payloads (in the order received) and brings the alert
rows in line with them in a handful of statements whatever the count: the rows are locked by
identity (created first, as empty placeholders, when new), each signal is applied in Python, and
the rows and their events are written back in bulk. A payload already applied to an alert (by its
id) changes nothing, so replaying any stored payload creates nothing new.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from django.db.models import Q

from keel.integrations.inbound.prometheus.fingerprint import fingerprint
from keel.integrations.mapping import Placement, place
from keel.integrations.models import Alert, AlertEvent, Payload, Source
from keel.integrations.signals import AlertSignal, SignalStatus
from keel.integrations.states import (
    ACTIVE,
    ENDED,
    FLAP_CHANGES,
    FLAP_WINDOW_S,
    AlertEventKind,
    AlertStatus,
)
from keel.lib.sql import bulk_update

_STATUS_OF: Final = {
    SignalStatus.FIRING: AlertStatus.FIRING,
    SignalStatus.ACKNOWLEDGED: AlertStatus.ACKNOWLEDGED,
    SignalStatus.RESOLVED: AlertStatus.RESOLVED,
}
# What a signal may change on an alert (status-only signals change the status alone).
WRITTEN: Final = (
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
    "needs_decision",
    "last_payload_id",
)


@dataclass
class Applied:
    """What a batch did: the alerts Keel must now decide about, and how many signals it ignored."""

    undecided: set[int] = field(default_factory=set)
    alerts: int = 0
    ignored: int = 0


def identity_of(source: Source, signal: AlertSignal) -> str:
    """The sender's key, unless the source says which labels make an alert (or the sender has none)."""
    if source.identity_labels and signal.labels:
        return fingerprint({name: signal.labels.get(name, "") for name in source.identity_labels})
    if signal.identity:
        return signal.identity[:255]
    return fingerprint(signal.labels)


def apply_signals(batch: Sequence[tuple[Payload, Sequence[AlertSignal]]]) -> Applied:
    """Bring the alerts in line with these signals (payloads in the order received)."""
    keyed = [
        (payload, signal, (payload.source_id, identity_of(payload.source, signal)))
        for payload, signals in batch
        for signal in signals
    ]
    applied = Applied()
    if not keyed:
        return applied
    # Status-only signals (an acknowledge, a resolve) never create an alert: they name one.
    first: dict[tuple[int, str], tuple[Payload, AlertSignal]] = {}
    for payload, signal, key in keyed:
        if signal.severity is not None:
            first.setdefault(key, (payload, signal))
    _create_missing(first)
    alerts = _locked({key for _, _, key in keyed})
    placements = _placements(keyed, alerts)
    events: list[AlertEvent] = []
    touched: dict[int, Alert] = {}
    for payload, signal, key in keyed:
        alert = alerts.get(key)
        if alert is None:
            applied.ignored += 1  # an acknowledge or resolve for an alert Keel never saw
            continue
        changes = _apply(alert, signal, payload, placements)
        if changes is None:
            continue
        touched[alert.pk] = alert
        events.extend(
            AlertEvent(alert=alert, at=payload.received_at, kind=kind, payload_id=payload.pk, note=note)
            for kind, note in changes
        )
    bulk_update(Alert, list(touched.values()), WRITTEN)
    AlertEvent.objects.bulk_create(events)
    applied.alerts = len(touched)
    applied.undecided = {alert.pk for alert in touched.values() if alert.needs_decision}
    return applied


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


def _create_missing(first_signals: Mapping[tuple[int, str], tuple[Payload, AlertSignal]]) -> None:
    """Placeholders for identities not stored yet (occurrences 0: "never applied"); a concurrent
    processor creating the same one first is no error."""
    if not first_signals:
        return
    known = set(_query(first_signals).values_list("source_id", "identity"))
    placeholders = [
        Alert(
            source_id=source_id,
            identity=identity,
            severity=str(signal.severity),
            summary=signal.summary[:1024],
            occurrences=0,
            first_seen_at=payload.received_at,
            last_seen_at=payload.received_at,
            status_changed_at=payload.received_at,
        )
        for (source_id, identity), (payload, signal) in first_signals.items()
        if (source_id, identity) not in known
    ]
    # In key order: two processors inserting overlapping identities then wait for each other
    # instead of deadlocking (seen on PostgreSQL); ids then follow the key order within a batch.
    placeholders.sort(key=lambda alert: (alert.source_id, alert.identity))
    Alert.objects.bulk_create(placeholders, ignore_conflicts=True, batch_size=500)


def _locked(keys: set[tuple[int, str]]) -> dict[tuple[int, str], Alert]:
    rows = _query(keys).select_for_update(of=("self",)).order_by("id")  # one lock order: no deadlocks
    return {(alert.source_id, alert.identity): alert for alert in rows}


def _query(keys: Iterable[tuple[int, str]]) -> Any:
    by_source: dict[int, list[str]] = {}
    for source_id, identity in keys:
        by_source.setdefault(source_id, []).append(identity)
    condition = Q()
    for source_id, identities in by_source.items():
        condition |= Q(source_id=source_id, identity__in=identities)
    return Alert.objects.filter(condition)


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
