"""Receiving what monitoring tools send: check the secret, read the body, store it raw, answer.

Every request that names a valid secret is stored, well-formed or not (a malformed one as
``rejected`` with the reason, for inspection), before Keel answers: 2xx means the payload is in
the database. Processing (processing.py) happens later, from the stored text, so a parser fix can
be replayed over everything received. A request whose secret Keel does not know stores nothing.

The hot path is one statement (``rows.insert_payload``): the payload is inserted by a ``SELECT`` of
its source by secret, so the lookup and the write are a single round trip (monitoring tools send
hundreds a second).
"""

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Final

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
from keel.lib.text import NotJson, loads, storable

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
    text: "_Stored"
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
            "body": request.text.text,
            "body_encoding": request.text.encoding,
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
    """The signals of a stored payload, read again from its body as received."""
    raw = base64.b64decode(payload.body) if payload.body_encoding == BASE64 else payload.body.encode()
    _, document, problem = _decoded(raw)
    if problem is not None:
        raise problem
    source = payload.source
    mapping = FieldMapping.from_config(source.mapping) if source.kind == SourceKind.GENERIC else None
    return read(
        SourceKind(source.kind), Endpoint(payload.endpoint), document, mapping=mapping, received_at=payload.received_at
    )


BASE64: Final = "base64"


@dataclass(frozen=True)
class _Stored:
    """A body as the database can keep it: its text, or (``encoding`` "base64") its bytes in base64."""

    text: str
    encoding: str = ""


def _decoded(body: bytes) -> tuple[_Stored, object, MalformedPayload | None]:
    """The body as stored, its JSON document, or why it cannot be read.

    A body that is not UTF-8, or holds a NUL byte, is kept whole in base64 (and refused: it is not
    JSON). Text that the databases cannot store inside the document — a ``\\u0000`` escape, an
    unpaired surrogate — becomes U+FFFD there, so that the alert is kept (docs/monitoring.md).
    """
    try:
        text = body.decode()
    except UnicodeDecodeError as error:
        problem = MalformedPayload(f"The body is not UTF-8 text (byte {error.start}).")
        return _Stored(base64.b64encode(body).decode(), BASE64), None, problem
    if "\x00" in text:
        problem = MalformedPayload(f"The body holds a NUL byte (byte {body.index(0)}); JSON cannot.")
        return _Stored(base64.b64encode(body).decode(), BASE64), None, problem
    try:
        document, suspect = loads(text)
    except NotJson as error:
        return _Stored(text), None, MalformedPayload(f"The body is not valid JSON: {error}.")
    return _Stored(text), storable(document) if suspect else document, None


def _mapping_of(secret: str) -> FieldMapping:
    found = Source.objects.filter(token_hash=hash_token(secret), kind=SourceKind.GENERIC, revoked_at=None).first()
    if found is None:
        raise Unauthenticated(UNKNOWN_SECRET)
    return FieldMapping.from_config(found.mapping)
