"""Prometheus's own alert notifications, posted to Keel as to an Alertmanager (``POST …/api/v2/alerts``).

The body is a JSON list of alerts with no status and no fingerprint. Prometheus re-sends a firing
alert every minute with ``endsAt`` a few minutes ahead (a lease); once the rule stops firing it sends
the alert with ``endsAt`` at the moment it resolved. So an alert is resolved when its ``endsAt`` is
not after ``received_at``, and firing otherwise, with ``endsAt`` as the lease. The identity is the
alert's label-set fingerprint, the same one Alertmanager writes into its webhook.

As Alertmanager's API does, labels with an empty value are dropped (in Prometheus an empty value
means no label), an alert needs at least one label, a missing ``startsAt`` is ``endsAt`` or else
``received_at``, and ``endsAt`` before ``startsAt`` is refused. Unlike Alertmanager, which keeps the
valid alerts of a batch, one bad alert refuses the whole request: nothing is half-applied, and the
stored raw request can be replayed once the sender is fixed.
"""

from datetime import datetime

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
    as_list,
    as_object,
    child,
    optional_text,
    optional_timestamp,
    received_utc,
)


def parse(payload: object, *, received_at: datetime) -> list[AlertSignal]:
    """One signal per alert in the list Prometheus posted, judged against ``received_at``."""
    received_at = received_utc(received_at)
    alerts = as_list(payload, "The body", what="a JSON list of alerts, as Prometheus posts to /api/v2/alerts")
    return [_signal(alert, child("", index), received_at) for index, alert in enumerate(alerts)]


def _signal(item: object, where: str, received_at: datetime) -> AlertSignal:
    alert = as_object(item, where, what="an alert object")
    labels = {name: value for name, value in read_labels(alert, where).items() if value}
    if not labels:
        place = child(where, "labels")
        raise MalformedPayload(f"{place} must name at least one label with a value (got none)", field=place)
    annotations = read_annotations(alert, where)
    ends_at = optional_timestamp(alert, "endsAt", where)
    starts_at = optional_timestamp(alert, "startsAt", where) or ends_at or received_at
    if ends_at is not None and ends_at < starts_at:
        place = child(where, "endsAt")
        raise MalformedPayload(
            f"{place} ({ends_at.isoformat()}) must not be before startsAt ({starts_at.isoformat()})", field=place
        )
    resolved = ends_at is not None and ends_at <= received_at
    return AlertSignal(
        status=SignalStatus.RESOLVED if resolved else SignalStatus.FIRING,
        summary=summary_of(labels, annotations),
        severity=severity_of(labels),
        labels=labels,
        identity=fingerprint(labels),
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        links=links_of(optional_text(alert, "generatorURL", where), annotations),
    )
