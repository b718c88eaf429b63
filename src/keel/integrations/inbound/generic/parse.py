"""Any JSON webhook, read through the source's ``FieldMapping`` into one signal per alert.

Without ``items`` the body is one alert (an object) or a list of alerts; with it, ``items`` is the
path to the list inside the body. Paths are read inside each alert.

- ``summary`` must hold a value in every alert; the other settings are optional.
- ``status`` is looked up in the status map (a word it does not know is refused: add it); no status
  is firing. ``severity`` is looked up in the severity map; none, or a word it does not know, is
  warning (``severity.py``).
- Labels: the objects named by ``labels`` are copied (text, numbers and true/false as text; nested
  objects, lists and nulls left out), then the named label paths, then ``resource`` and
  ``service`` as ``labels["resource"]`` and ``labels["service"]``; a later one wins. Annotations
  the same way.
- ``starts_at``/``ends_at``: RFC 3339 text or a Unix time in seconds; Go's zero time is none; no
  start is ``received_at``.
- ``dedup_key`` is the identity; without it the source's dedup-key template builds one.
- ``links`` keep only absolute http(s) URLs; ``details`` copy any JSON value.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from keel.integrations.inbound.generic.mapping import FieldMapping, FieldPath, Paths
from keel.integrations.inbound.parsed import AlertSignal, Link, MalformedPayload, SignalStatus
from keel.integrations.inbound.reading import (
    GO_ZERO_TIME,
    MISSING,
    TIMESTAMP_EXAMPLE,
    child,
    got,
    http_link,
    parse_timestamp,
    received_utc,
    scalar_text,
)
from keel.integrations.inbound.severity import severity_from_word, word_key

__all__ = ["FieldMapping", "parse"]

_STATUS_CHOICES: Final = ", ".join(status.value for status in SignalStatus)


def parse(payload: object, *, mapping: FieldMapping, received_at: datetime) -> list[AlertSignal]:
    """One signal per alert of ``payload`` as ``mapping`` reads it."""
    received_at = received_utc(received_at)
    return [_signal(alert, where, mapping, received_at) for where, alert in _alerts(payload, mapping)]


def _alerts(payload: object, mapping: FieldMapping) -> list[tuple[str, Mapping[str, Any]]]:
    """Each alert with the path that names it in messages (``alerts[2]``; the body itself is ``""``)."""
    if mapping.items is not None:
        items = mapping.items.find(payload)
        if not isinstance(items, list | tuple):
            raise MalformedPayload(
                f"The body has no list of alerts at '{mapping.items.text}' (the mapping's 'items') {got(items)}",
                field=mapping.items.text,
            )
        return [_alert(item, child(mapping.items.text, index)) for index, item in enumerate(items)]
    if isinstance(payload, list | tuple):
        return [_alert(item, child("", index)) for index, item in enumerate(payload)]
    if isinstance(payload, Mapping):
        return [("", payload)]
    raise MalformedPayload(f"The body must be a JSON object (one alert) or a list of alert objects {got(payload)}")


def _alert(item: object, where: str) -> tuple[str, Mapping[str, Any]]:
    if isinstance(item, Mapping):
        return where, item
    raise MalformedPayload(f"{where} must be an alert object {got(item)}", field=where)


def _signal(alert: Mapping[str, Any], where: str, mapping: FieldMapping, received_at: datetime) -> AlertSignal:
    summary = _text(alert, where, mapping.summary)
    if summary is None:
        subject = where or "The alert"
        looked = " or ".join(path.text for path in mapping.summary)
        message = f"{subject} has no summary: nothing at {looked} (the mapping's 'summary')"
        raise MalformedPayload(message, field=where or None)
    labels = _text_fields(alert, where, mapping.label_objects, mapping.label_fields)
    labels |= {
        name: value
        for name, paths in (("resource", mapping.resource), ("service", mapping.service))
        if (value := _text(alert, where, paths)) is not None
    }
    return AlertSignal(
        status=_status(alert, where, mapping),
        summary=summary.strip(),
        severity=severity_from_word(_text(alert, where, mapping.severity), mapping.severity_map),
        labels=labels,
        identity=_text(alert, where, mapping.dedup_key),
        annotations=_text_fields(alert, where, mapping.annotation_objects, mapping.annotation_fields),
        starts_at=_moment(alert, where, mapping.starts_at) or received_at,
        ends_at=_moment(alert, where, mapping.ends_at),
        links=_links(alert, mapping.links),
        details={name: found[1] for name, paths in mapping.details.items() if (found := _first(alert, paths))},
    )


def _first(alert: Mapping[str, Any], paths: Paths) -> tuple[FieldPath, object] | None:
    """The first path that holds a value (not missing, null or blank text), with that value."""
    for path in paths:
        value = path.find(alert)
        if value is not MISSING and value is not None and not (isinstance(value, str) and not value.strip()):
            return path, value
    return None


def _text(alert: Mapping[str, Any], where: str, paths: Paths) -> str | None:
    found = _text_at(alert, where, paths)
    return None if found is None else found[1]


def _text_at(alert: Mapping[str, Any], where: str, paths: Paths) -> tuple[str, str] | None:
    """The first value as text, with the place it was found (``alerts[0].labels.severity``)."""
    found = _first(alert, paths)
    if found is None:
        return None
    path, value = found
    place = child(where, path.text)
    text = scalar_text(value)
    if text is None:
        raise MalformedPayload(f"{place} must be text or a number {got(value)}", field=place)
    return place, text


def _text_fields(
    alert: Mapping[str, Any], where: str, objects: Sequence[FieldPath], fields: Mapping[str, Paths]
) -> dict[str, str]:
    copied: dict[str, str] = {}
    for path in objects:
        value = path.find(alert)
        if value is MISSING or value is None:
            continue
        if not isinstance(value, Mapping):
            place = child(where, path.text)
            raise MalformedPayload(f"{place} must be an object of name → text {got(value)}", field=place)
        copied |= {str(name): text for name, member in value.items() if (text := scalar_text(member)) is not None}
    return copied | {name: text for name, paths in fields.items() if (text := _text(alert, where, paths)) is not None}


def _status(alert: Mapping[str, Any], where: str, mapping: FieldMapping) -> SignalStatus:
    found = _text_at(alert, where, mapping.status)
    if found is None:
        return SignalStatus.FIRING
    place, word = found
    status = mapping.status_map.get(word_key(word))
    if status is None:
        raise MalformedPayload(
            f"{place} is {word!r}, a status the mapping does not know: add it to status_map as one of "
            f"{_STATUS_CHOICES}",
            field=place,
        )
    return status


def _moment(alert: Mapping[str, Any], where: str, paths: Paths) -> datetime | None:
    found = _first(alert, paths)
    if found is None:
        return None
    path, value = found
    moment = _epoch(value) if isinstance(value, int | float) and not isinstance(value, bool) else parse_timestamp(value)
    if moment is None:
        place = child(where, path.text)
        raise MalformedPayload(
            f"{place} must be an RFC 3339 date and time such as {TIMESTAMP_EXAMPLE}, or a Unix time in seconds "
            f"{got(value)}",
            field=place,
        )
    return None if moment == GO_ZERO_TIME else moment


def _epoch(seconds: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):  # NaN, infinity, or past year 9999
        return None


def _links(alert: Mapping[str, Any], links: Mapping[str, Paths]) -> tuple[Link, ...]:
    found = [(text, _first(alert, paths)) for text, paths in links.items()]
    return tuple(link for text, hit in found if hit and (link := http_link(hit[1], text)))
