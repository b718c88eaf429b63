"""Receiving what monitoring tools send: check the secret, read the body, store it raw, answer.

Every request that names a valid secret is stored, well-formed or not (a malformed one as
``rejected`` with the reason, for inspection), before Keel answers: 2xx means the payload is in
the database. Processing (processing.py) happens later, from the stored text, so a parser fix can
be replayed over everything received. A request whose secret Keel does not know stores nothing.

The hot path is one statement (``rows.insert_payload``): the payload is inserted by a ``SELECT`` of
its source by secret, so the lookup and the write are a single round trip (monitoring tools send
hundreds a second).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Final

import orjson

from keel.accounts.models import hash_token
from keel.integrations.inbound.alertmanager import parse as alertmanager
from keel.integrations.inbound.generic import parse as generic
from keel.integrations.inbound.generic.mapping import FieldMapping
from keel.integrations.inbound.pagerduty import parse as pagerduty
from keel.integrations.inbound.parsed import MalformedPayload, Signal
from keel.integrations.inbound.prometheus import parse as prometheus
from keel.integrations.models import Payload, Source
from keel.integrations.rows import insert_payload, insert_payload_of
from keel.integrations.states import Endpoint, PayloadStatus, SourceKind
from keel.lib import clock
from keel.lib.errors import Unauthenticated

_PARSERS: Final[Mapping[tuple[SourceKind, Endpoint], Callable[..., list[Any]]]] = {
    (SourceKind.ALERTMANAGER, Endpoint.ALERTS): alertmanager.parse,
    (SourceKind.PROMETHEUS, Endpoint.ALERTS): prometheus.parse,
    (SourceKind.PAGERDUTY, Endpoint.ALERTS): pagerduty.parse,
    (SourceKind.PAGERDUTY, Endpoint.CHANGES): pagerduty.parse_change,
    (SourceKind.GENERIC, Endpoint.ALERTS): generic.parse,
}

NO_SECRET: Final = (
    "Send the source's secret: in its inbound URL as Keel printed it, or as 'Authorization: Bearer <secret>'."
)
UNKNOWN_SECRET: Final = (
    "No active source has this secret; check the URL, or rotate the source's secret and use the new URL."
)


@dataclass(frozen=True)
class Received:
    payload_id: int
    signals: list[Signal]


def receive(
    *,
    kind: SourceKind,
    secret: str | None,
    endpoint: Endpoint,
    body: bytes,
    content_type: str = "",
    user_agent: str = "",
) -> Received:
    """Store one request of a source and return what it says.

    Raises Unauthenticated (nothing stored) for a missing or unknown secret, MalformedPayload
    (stored as rejected) for a body that is not this sender's format.
    """
    text, document, problem = _decoded(body)
    if kind == SourceKind.PAGERDUTY and document is not None:
        secret = secret or pagerduty.routing_key(document)
    if not secret:
        raise Unauthenticated(NO_SECRET)
    mapping = _mapping_of(secret) if kind == SourceKind.GENERIC else None
    store = partial(insert_payload, token_hash=hash_token(secret), kind=str(kind))
    return _take(_Request(store, kind, endpoint, text, document, problem, mapping, content_type, user_agent))


def receive_for(source: Source, *, body: bytes, endpoint: Endpoint = Endpoint.ALERTS, user_agent: str = "") -> Received:
    """Store a request as if this source had sent it (the console's "send test event"): the same
    checks, storage and processing, for someone already allowed to manage the source."""
    text, document, problem = _decoded(body)
    mapping = FieldMapping.from_config(source.mapping) if source.kind == SourceKind.GENERIC else None
    store = partial(insert_payload_of, source_id=source.pk)
    kind = SourceKind(source.kind)
    return _take(_Request(store, kind, endpoint, text, document, problem, mapping, "application/json", user_agent))


@dataclass(frozen=True)
class _Request:
    store: Callable[[Mapping[str, Any]], int | None]  # stores it as the source that sent it, if active
    kind: SourceKind
    endpoint: Endpoint
    text: str
    document: object
    problem: MalformedPayload | None
    mapping: FieldMapping | None
    content_type: str
    user_agent: str


def _take(request: _Request) -> Received:
    received_at = clock.now()
    signals: list[Signal] = []
    problem = request.problem
    if problem is None:
        try:
            signals = read(
                request.kind, request.endpoint, request.document, mapping=request.mapping, received_at=received_at
            )
        except MalformedPayload as refusal:
            problem = refusal
    payload_id = request.store(
        {
            "endpoint": str(request.endpoint),
            "received_at": received_at,
            "body": request.text,
            "content_type": request.content_type[:100],
            "user_agent": request.user_agent[:200],
            "status": str(PayloadStatus.PENDING if problem is None else PayloadStatus.REJECTED),
            "error": "" if problem is None else problem.message,
            "signals": len(signals),
        }
    )
    if payload_id is None:
        raise Unauthenticated(UNKNOWN_SECRET)
    if problem is not None:
        raise problem
    return Received(payload_id=payload_id, signals=signals)


def read(
    kind: SourceKind, endpoint: Endpoint, document: object, *, mapping: FieldMapping | None, received_at: datetime
) -> list[Signal]:
    """The signals of a decoded body (the intake validates with it; processing replays it)."""
    parser = _PARSERS.get((kind, endpoint))
    if parser is None:
        raise MalformedPayload(f"A {SourceKind(kind).label} source does not take {Endpoint(endpoint).label.lower()}.")
    if kind == SourceKind.GENERIC:
        return parser(document, mapping=mapping or FieldMapping.from_config({}), received_at=received_at)
    return parser(document, received_at=received_at)


def read_stored(payload: Payload) -> list[Signal]:
    """The signals of a stored payload, read again from its text as received."""
    _, document, problem = _decoded(payload.body.encode())
    if problem is not None:
        raise problem
    source = payload.source
    mapping = FieldMapping.from_config(source.mapping) if source.kind == SourceKind.GENERIC else None
    return read(
        SourceKind(source.kind), Endpoint(payload.endpoint), document, mapping=mapping, received_at=payload.received_at
    )


def _decoded(body: bytes) -> tuple[str, object, MalformedPayload | None]:
    try:
        text = body.decode()
    except UnicodeDecodeError as error:
        return (
            body.decode(errors="replace"),
            None,
            MalformedPayload(f"The body is not UTF-8 text (byte {error.start})."),
        )
    try:
        return text, orjson.loads(text), None
    except orjson.JSONDecodeError as error:
        return text, None, MalformedPayload(f"The body is not valid JSON: {error}.")


def _mapping_of(secret: str) -> FieldMapping:
    found = Source.objects.filter(token_hash=hash_token(secret), kind=SourceKind.GENERIC, revoked_at=None).first()
    if found is None:
        raise Unauthenticated(UNKNOWN_SECRET)
    return FieldMapping.from_config(found.mapping)
