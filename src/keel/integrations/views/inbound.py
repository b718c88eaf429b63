"""The inbound HTTP endpoints monitoring tools post to: parse the request, call the intake, answer.

Each answers the way its sender expects (PagerDuty's client accepts nothing but its own 202 body),
and 2xx only once the payload is stored. No session, no CSRF: the secret in the URL (or the
``Authorization: Bearer`` header, or a PagerDuty routing key) is the credential.
"""

from collections.abc import Callable
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from keel.integrations.actions.intake import Received, receive
from keel.integrations.inbound.pagerduty.parse import INVALID_EVENT
from keel.integrations.inbound.parsed import AlertSignal, MalformedPayload
from keel.integrations.states import Endpoint, SourceKind
from keel.lib.errors import Unauthenticated
from keel.lib.failures import too_large


def _json(body: dict[str, Any], status: int) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _take(
    request: HttpRequest, kind: SourceKind, secret: str | None, endpoint: Endpoint = Endpoint.ALERTS
) -> Received | HttpResponse:
    """Store the request; an HttpResponse when it was refused (the refusal's answer)."""
    try:
        body = request.body
    except RequestDataTooBig as refusal:
        return too_large(request, getattr(refusal, "limit", settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
    try:
        return receive(
            kind=kind,
            secret=secret or _bearer(request),
            endpoint=endpoint,
            body=body,
            content_type=request.content_type or "",
            user_agent=request.headers.get("User-Agent", ""),
        )
    except Unauthenticated as refusal:
        return _json({"message": refusal.message}, 401)
    except MalformedPayload as refusal:
        if kind == SourceKind.PAGERDUTY:
            errors = refusal.details.get("errors") or [refusal.message]
            return _json({"status": "invalid event", "message": INVALID_EVENT, "errors": errors}, 400)
        return _json({"message": refusal.message, "field": refusal.field, **refusal.details}, 400)


def _webhook(kind: SourceKind, description: str) -> Callable[..., HttpResponse]:
    """The endpoint a sender of this kind posts its alerts to: stored, then 202 with the payload's id."""

    @csrf_exempt
    @require_POST
    def webhook(request: HttpRequest, secret: str | None = None) -> HttpResponse:
        received = _take(request, kind, secret)
        if isinstance(received, HttpResponse):
            return received
        return _json({"status": "accepted", "payload": received.payload_id, "alerts": len(received.signals)}, 202)

    webhook.__doc__ = description
    return webhook


alertmanager = _webhook(SourceKind.ALERTMANAGER, "Alertmanager's webhook receiver (payload version 4).")
prometheus = _webhook(
    SourceKind.PROMETHEUS, "Prometheus posting to Keel as to an Alertmanager (``<path_prefix>/api/v2/alerts``)."
)
generic = _webhook(SourceKind.GENERIC, "Any JSON webhook, read with the source's field mapping.")


@csrf_exempt
@require_POST
def pagerduty_enqueue(request: HttpRequest) -> HttpResponse:
    """PagerDuty Events API v2 ``/v2/enqueue``: the routing key in the event names the source."""
    received = _take(request, SourceKind.PAGERDUTY, None)
    if isinstance(received, HttpResponse):
        return received
    (signal,) = received.signals
    assert isinstance(signal, AlertSignal)
    return _json({"status": "success", "message": "Event processed", "dedup_key": signal.identity}, 202)


@csrf_exempt
@require_POST
def pagerduty_change(request: HttpRequest) -> HttpResponse:
    """PagerDuty Events API v2 ``/v2/change/enqueue``: a change event, recorded for context."""
    received = _take(request, SourceKind.PAGERDUTY, None, Endpoint.CHANGES)
    if isinstance(received, HttpResponse):
        return received
    return _json({"status": "success", "message": "Change event processed"}, 202)
