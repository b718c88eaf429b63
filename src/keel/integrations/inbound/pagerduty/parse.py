"""PagerDuty Events API v2, so any tool or library that speaks it can send to Keel.

``/v2/enqueue`` carries one alert event (``parse``); ``/v2/change/enqueue`` one change event
(``parse_change``). Both are validated as PagerDuty validates them, and every error is collected:
``MalformedPayload.details["errors"]`` is the list PagerDuty answers 400 with
(``{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``).

- ``trigger`` needs ``payload.summary`` (at most 1024 characters), ``payload.source`` and
  ``payload.severity`` (critical, error, warning or info); ``acknowledge`` and ``resolve`` need
  ``dedup_key``, and name nothing else: they become status-only signals.
- ``source``, ``component``, ``group`` and ``class`` become labels, so CI mapping can use ``source``.
- A trigger without ``dedup_key`` gets one derived from the event itself: the first 32 hex digits
  of the SHA-256 of its canonical JSON (keys sorted, no spaces) without ``routing_key``. A retried
  identical request gets the same key and deduplicates; any change to the event gives a new one.
- Numbers where PagerDuty expects text are read as text (senders do send ``"source": 1``).
- Links and images that are not absolute http(s) URLs are left out, not refused.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Final

from keel.integrations.inbound.parsed import AlertSignal, ChangeSignal, Link, MalformedPayload, Severity, SignalStatus
from keel.integrations.inbound.reading import (
    TIMESTAMP_EXAMPLE,
    child,
    got,
    http_link,
    parse_timestamp,
    received_utc,
    scalar_text,
)

INVALID_EVENT: Final = "Event object is invalid"
MAX_SUMMARY: Final = 1024
MAX_DEDUP_KEY: Final = 255
DERIVED_KEY_DIGITS: Final = 32
ACTIONS: Final = {
    "trigger": SignalStatus.FIRING,
    "acknowledge": SignalStatus.ACKNOWLEDGED,
    "resolve": SignalStatus.RESOLVED,
}
SEVERITIES: Final = {level.value: level for level in Severity}
LABEL_FIELDS: Final = ("source", "component", "group", "class")


class _Errors(list[str]):
    """The errors found so far; reading goes on after one, so the sender learns them all at once."""

    def text(self, members: Mapping[str, Any], key: str, where: str, *, required: bool, limit: int = 0) -> str | None:
        place = child(where, key)
        value = members.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.append(f"'{place}' is missing or blank")
            return None
        text = None if isinstance(value, bool) else scalar_text(value)
        if text is None:
            self.append(f"'{place}' must be text {got(value)}")
        elif limit and len(text) > limit:
            self.append(f"'{place}' is longer than {limit} characters (got {len(text)})")
            return None
        return text

    def object(self, members: Mapping[str, Any], key: str, where: str = "") -> Mapping[str, Any] | None:
        value = members.get(key)
        if isinstance(value, Mapping):
            return value
        place = child(where, key)
        self.append(f"'{place}' is missing" if value is None else f"'{place}' must be an object {got(value)}")
        return None

    def moment(self, members: Mapping[str, Any], received_at: datetime) -> datetime:
        value = members.get("timestamp")
        if value is None:
            return received_at
        moment = parse_timestamp(value)
        if moment is None:
            self.append(f"'payload.timestamp' must be an ISO 8601 date and time like {TIMESTAMP_EXAMPLE} {got(value)}")
        return moment or received_at

    def raise_any(self) -> None:
        if self:
            raise self.refusal()

    def refusal(self) -> MalformedPayload:
        return MalformedPayload(f"{INVALID_EVENT}: {'; '.join(self)}", details={"errors": list(self)})


def routing_key(payload: object) -> str | None:
    """The routing key a PagerDuty-style request authenticates with, or ``None`` when it names none."""
    key = payload.get("routing_key") if isinstance(payload, Mapping) else None
    return key if isinstance(key, str) and key.strip() else None


def parse(payload: object, *, received_at: datetime) -> list[AlertSignal]:
    """The alert event of a ``/v2/enqueue`` request; ``received_at`` stands in for a missing ``payload.timestamp``."""
    received_at = received_utc(received_at)
    errors = _Errors()
    event = _event(payload, errors)
    action = _action(event, errors)
    dedup_key = errors.text(event, "dedup_key", "", required=action != "trigger", limit=MAX_DEDUP_KEY)
    if action != "trigger":
        errors.raise_any()
        return [AlertSignal(status=ACTIONS[action], summary="", severity=None, labels={}, identity=dedup_key)]
    signal = _trigger(event, errors, received_at)
    errors.raise_any()
    return [replace(signal, identity=dedup_key or _derived_key(event))]


def parse_change(payload: object, *, received_at: datetime) -> list[ChangeSignal]:
    """The change event of a ``/v2/change/enqueue`` request (no ``payload.timestamp``: at ``received_at``)."""
    received_at = received_utc(received_at)
    errors = _Errors()
    event = _event(payload, errors)
    given = errors.object(event, "payload")
    body = given or {}
    summary = errors.text(body, "summary", "payload", required=given is not None, limit=MAX_SUMMARY)
    source = errors.text(body, "source", "payload", required=False)
    at = errors.moment(body, received_at)
    links = _links(event, errors)
    errors.raise_any()
    details = {"custom_details": body["custom_details"]} if body.get("custom_details") is not None else {}
    return [ChangeSignal(summary=summary or "", source=source or "", at=at, links=links, details=details)]


def _event(payload: object, errors: _Errors) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        errors.append(f"The event must be a JSON object {got(payload)}")
        raise errors.refusal()
    errors.text(payload, "routing_key", "", required=True)
    return payload


def _action(event: Mapping[str, Any], errors: _Errors) -> str:
    action = event.get("event_action")
    if isinstance(action, str) and action in ACTIONS:
        return action
    if action is None or action == "":
        errors.append("'event_action' is missing or blank")
    else:
        errors.append(f"'event_action' is invalid (must be one of trigger, acknowledge, resolve; got {_said(action)})")
    raise errors.refusal()  # without an action nothing else can be judged


def _trigger(event: Mapping[str, Any], errors: _Errors, received_at: datetime) -> AlertSignal:
    # Without a payload object, its missing members are that one error, not three more.
    given = errors.object(event, "payload")
    body = given or {}
    summary = errors.text(body, "summary", "payload", required=given is not None, limit=MAX_SUMMARY)
    labels = {
        key: errors.text(body, key, "payload", required=given is not None and key == "source") for key in LABEL_FIELDS
    }
    severity = _severity(body, errors) if given is not None else Severity.WARNING
    starts_at = errors.moment(body, received_at)
    links = _links(event, errors)
    client = errors.text(event, "client", "", required=False)
    client_link = http_link(errors.text(event, "client_url", "", required=False), client or "Sender")
    details: dict[str, object] = {"client": client} if client else {}
    if body.get("custom_details") is not None:
        details["custom_details"] = body["custom_details"]
    images = _images(event, errors)
    if images:
        details["images"] = images
    return AlertSignal(
        status=SignalStatus.FIRING,
        summary=summary or "",
        severity=severity,
        labels={key: value for key, value in labels.items() if value is not None},
        starts_at=starts_at,
        links=links + ((client_link,) if client_link else ()),
        details=details,
    )


def _severity(body: Mapping[str, Any], errors: _Errors) -> Severity:
    value = body.get("severity")
    if isinstance(value, str) and value in SEVERITIES:
        return SEVERITIES[value]
    if value is None or value == "":
        errors.append("'payload.severity' is missing or blank")
    else:
        expected = ", ".join(SEVERITIES)
        errors.append(f"'payload.severity' is invalid (must be one of {expected}; got {_said(value)})")
    return Severity.WARNING


def _links(event: Mapping[str, Any], errors: _Errors) -> tuple[Link, ...]:
    links = []
    for where, item in _entries(event, "links", errors):
        href = errors.text(item, "href", where, required=True)
        link = http_link(href, errors.text(item, "text", where, required=False) or "")
        links += [link] if link else []
    return tuple(links)


def _images(event: Mapping[str, Any], errors: _Errors) -> list[dict[str, str]]:
    images = []
    for where, item in _entries(event, "images", errors):
        src = errors.text(item, "src", where, required=True)
        fields = {"src": src, **{key: errors.text(item, key, where, required=False) for key in ("href", "alt")}}
        if http_link(src, "") and (fields["href"] is None or http_link(fields["href"], "")):
            images.append({key: value for key, value in fields.items() if value is not None})
    return images


def _entries(event: Mapping[str, Any], key: str, errors: _Errors) -> list[tuple[str, Mapping[str, Any]]]:
    """The objects of the optional list ``event[key]``, each with its path; wrong shapes are errors."""
    value = event.get(key)
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, str):
        errors.append(f"'{key}' must be a list of objects {got(value)}")
        return []
    entries = []
    for index, item in enumerate(value):
        if isinstance(item, Mapping):
            entries.append((child(key, index), item))
        else:
            errors.append(f"'{child(key, index)}' must be an object {got(item)}")
    return entries


def _said(value: object) -> str:
    return got(value).removeprefix("(got ").removesuffix(")")


def _derived_key(event: Mapping[str, Any]) -> str:
    """A trigger's own dedup_key: stable across retries of the same request, whatever routing key it used."""
    canonical = json.dumps(
        {key: value for key, value in event.items() if key != "routing_key"}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:DERIVED_KEY_DIGITS]
