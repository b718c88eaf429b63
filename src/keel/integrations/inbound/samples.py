"""Test events: the body a source of each kind would send for one firing alert, written as that
sender writes it (the fixtures under tests/integrations/inbound/ are the reference), so a test event
goes through the same parser, storage and processing as a real one.

A test event is an ``info`` alert named ``KeelTestEvent`` (the default rules record info alerts
without opening an incident) with a fixed identity per source: sending it again counts another
occurrence of the same alert instead of adding alerts. A generic source's body is built from its
own field mapping, each setting's first path given a value the mapping reads back.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from django.conf import settings

from keel.integrations.inbound.generic.mapping import FieldMapping, FieldPath, Paths
from keel.integrations.inbound.parsed import Severity, SignalStatus
from keel.integrations.inbound.prometheus.fingerprint import fingerprint
from keel.integrations.models import Source
from keel.integrations.states import SourceKind

ALERTNAME: Final = "KeelTestEvent"
GO_ZERO_TIME: Final = "0001-01-01T00:00:00Z"
# Prometheus re-sends a firing alert well before this runs out; a test event is sent once, so it expires.
PROMETHEUS_LEASE: Final = timedelta(minutes=5)


def test_event(source: Source, *, sent_by: str, now: datetime) -> object:
    """The JSON document a test event of this source is (encode it and post it as the sender would)."""
    match source.kind:
        case SourceKind.ALERTMANAGER:
            return _alertmanager(source, sent_by, now)
        case SourceKind.PROMETHEUS:
            return _prometheus(source, sent_by, now)
        case SourceKind.PAGERDUTY:
            return _pagerduty(source, sent_by, now)
        case _:
            return _generic(source, FieldMapping.from_config(source.mapping), sent_by, now)


def summary_of(source: Source) -> str:
    return f"Test event from Keel for {source.name}"


def _labels(source: Source) -> dict[str, str]:
    return {"alertname": ALERTNAME, "severity": Severity.INFO.value, "keel_source": source.name}


def _annotations(source: Source, sent_by: str) -> dict[str, str]:
    return {
        "summary": summary_of(source),
        "description": f"Sent by {sent_by} from Keel to check that this source's alerts arrive.",
    }


def _source_page(source: Source) -> str:
    return f"{settings.KEEL_BASE_URL}/integrations/sources/{source.pk}/"


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _alertmanager(source: Source, sent_by: str, now: datetime) -> dict[str, Any]:
    labels = _labels(source)
    annotations = _annotations(source, sent_by)
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": annotations,
        "startsAt": _rfc3339(now),
        "endsAt": GO_ZERO_TIME,
        "generatorURL": _source_page(source),
        "fingerprint": fingerprint(labels),
    }
    return {
        "receiver": "keel",
        "status": "firing",
        "alerts": [alert],
        "groupLabels": {"alertname": ALERTNAME},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": settings.KEEL_BASE_URL,
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{ALERTNAME}"}}',
        "truncatedAlerts": 0,
    }


def _prometheus(source: Source, sent_by: str, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "annotations": _annotations(source, sent_by),
            "endsAt": _rfc3339(now + PROMETHEUS_LEASE),
            "startsAt": _rfc3339(now),
            "generatorURL": _source_page(source),
            "labels": _labels(source),
        }
    ]


def _pagerduty(source: Source, sent_by: str, now: datetime) -> dict[str, Any]:
    return {
        "event_action": "trigger",
        "payload": {
            "summary": summary_of(source),
            "source": "keel",
            "severity": Severity.INFO.value,
            "component": "test-event",
            "timestamp": _rfc3339(now),
            "custom_details": {"sent_by": sent_by},
        },
        "links": [{"href": _source_page(source), "text": "Source in Keel"}],
        "dedup_key": f"keel-test-event-{source.pk}",
        # Keel knows only the key's hash; the console sends as the source, so any key reads alike.
        "routing_key": f"{source.token_prefix}-test-event",
        "client": "Keel",
    }


def _generic(source: Source, mapping: FieldMapping, sent_by: str, now: datetime) -> object:
    alert: dict[str, Any] = {}
    for path in mapping.label_objects[:1]:
        _put(alert, path, _labels(source))
    for path in mapping.annotation_objects[:1]:
        _put(alert, path, _annotations(source, sent_by))
    _put_first(alert, mapping.summary, summary_of(source))
    _put_first(alert, mapping.severity, _word_for(mapping.severity_map, Severity.INFO, "info"))
    _put_first(alert, mapping.status, _word_for(mapping.status_map, SignalStatus.FIRING, "firing"))
    _put_first(alert, mapping.dedup_key, f"keel-test-event-{source.pk}")
    _put_first(alert, mapping.resource, "keel")
    _put_first(alert, mapping.starts_at, _rfc3339(now))
    for name, paths in mapping.label_fields.items():
        _put_first(alert, paths, ALERTNAME if name == "alertname" else "keel-test-event")
    for paths in mapping.annotation_fields.values():
        _put_first(alert, paths, f"Sent by {sent_by}")
    for paths in mapping.links.values():
        _put_first(alert, paths, _source_page(source))
    if mapping.items is None:
        return alert
    body: dict[str, Any] = {}
    _put(body, mapping.items, [alert])
    return body


def _word_for[Level: (SignalStatus, Severity)](words: Mapping[str, Level], level: Level, preferred: str) -> str:
    """A word of the source's map that means ``level`` (``preferred`` when the map has it)."""
    if words.get(preferred) == level:
        return preferred
    return next((word for word, meant in words.items() if meant == level), preferred)


def _put_first(document: dict[str, Any], paths: Paths, value: object) -> None:
    for path in paths[:1]:
        _put(document, path, value)


def _put(document: dict[str, Any], path: FieldPath, value: object) -> None:
    """Write ``value`` at ``path`` unless something is there already (the first setting to name a place wins)."""
    container: Any = document
    for step, following in zip(path.steps, path.steps[1:], strict=False):
        container = _slot(container, step, [] if _position(following) is not None else {})
    _slot(container, path.steps[-1], value)


def _slot(container: object, step: str, value: object) -> Any:
    """What is at ``step`` in ``container``, after placing ``value`` there if the place was free;
    None when the path cannot go through (a text where it needs an object), so nothing is written."""
    position = _position(step)
    if isinstance(container, dict):
        return container.setdefault(step, value)
    if isinstance(container, list) and position is not None:
        container.extend([None] * (position + 1 - len(container)))
        if container[position] is None:
            container[position] = value
        return container[position]
    return None


def _position(step: str) -> int | None:
    return int(step) if step.isascii() and step.isdigit() else None
