"""Alertmanager's webhook notification (payload ``version`` "4") → one signal per alert in the group.

A notification is a group; its top-level ``status`` is ``firing`` while any alert in it still
fires, so each alert is read by its own ``status`` and ``fingerprint`` (the fingerprint is computed
from the labels, as Alertmanager does, when an older sender leaves it out). Go's zero time
(``0001-01-01T00:00:00Z``) in ``endsAt`` means not ended.

Every signal's details carry the notification's ``group_key`` and ``receiver``, and
``truncated_alerts`` when Alertmanager left alerts out of the notification (``max_alerts``): those
alerts are still firing or resolved, but this request does not name them.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from keel.integrations.inbound.parsed import AlertSignal, MalformedPayload, SignalStatus
from keel.integrations.inbound.prometheus.alert import (
    links_of,
    read_annotations,
    read_labels,
    severity_of,
    summary_of,
)
from keel.integrations.inbound.prometheus.fingerprint import fingerprint
from keel.integrations.inbound.reading import (
    MISSING,
    as_list,
    as_object,
    child,
    got,
    optional_text,
    optional_timestamp,
    received_utc,
)

VERSION: Final = "4"
_STATUSES: Final = {"firing": SignalStatus.FIRING, "resolved": SignalStatus.RESOLVED}


def parse(payload: object, *, received_at: datetime) -> list[AlertSignal]:
    """One signal per alert of the notification; ``received_at`` stands in for a missing ``startsAt``."""
    received_at = received_utc(received_at)
    body = as_object(payload, "An Alertmanager webhook body", what="a JSON object")
    _check_version(body)
    details = _group_details(body)
    alerts = as_list(body.get("alerts", MISSING), "alerts", what="a list of alerts")
    return [_signal(alert, child("alerts", index), details, received_at) for index, alert in enumerate(alerts)]


def _check_version(body: Mapping[str, Any]) -> None:
    version = body.get("version", MISSING)
    if version != VERSION:
        raise MalformedPayload(
            f'version must be "{VERSION}": Keel reads Alertmanager webhook payload version {VERSION} {got(version)}',
            field="version",
        )


def _group_details(body: Mapping[str, Any]) -> dict[str, object]:
    details: dict[str, object] = {
        key: value
        for key, value in (
            ("group_key", optional_text(body, "groupKey", "")),
            ("receiver", optional_text(body, "receiver", "")),
        )
        if value is not None
    }
    truncated = body.get("truncatedAlerts", 0)
    if isinstance(truncated, bool) or not isinstance(truncated, int) or truncated < 0:
        raise MalformedPayload(
            f"truncatedAlerts must be a whole number of alerts left out, 0 or more {got(truncated)}",
            field="truncatedAlerts",
        )
    if truncated:
        details["truncated_alerts"] = truncated
    return details


def _signal(item: object, where: str, details: Mapping[str, object], received_at: datetime) -> AlertSignal:
    alert = as_object(item, where, what="an alert object")
    labels = read_labels(alert, where)
    annotations = read_annotations(alert, where)
    return AlertSignal(
        status=_status(alert, where),
        summary=summary_of(labels, annotations),
        severity=severity_of(labels),
        labels=labels,
        identity=optional_text(alert, "fingerprint", where) or fingerprint(labels),
        annotations=annotations,
        starts_at=optional_timestamp(alert, "startsAt", where) or received_at,
        ends_at=optional_timestamp(alert, "endsAt", where),
        links=links_of(optional_text(alert, "generatorURL", where), annotations),
        details=dict(details),
    )


def _status(alert: Mapping[str, Any], where: str) -> SignalStatus:
    status = alert.get("status", MISSING)
    if isinstance(status, str) and status in _STATUSES:
        return _STATUSES[status]
    place = child(where, "status")
    raise MalformedPayload(f"{place} must be firing or resolved {got(status)}", field=place)
