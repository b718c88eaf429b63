"""``@idempotent``: a create endpoint that takes an ``Idempotency-Key`` (the IETF httpapi draft,
and Stripe's behaviour), so a client may retry a create it got no answer to without making two.

    @router.post("/incidents", response={201: IncidentOut})
    @idempotent
    def create(request, payload): ...

With the header, the whole operation (the create and the rendering of its answer) runs in one
transaction that first claims the key (``actions.claim_key``) and, on a 2xx answer, stores that
answer under it (``actions.store_answer``): an acknowledged create and its key are stored together
or not at all. Then:

- the same key and the same request again → the first answer (status, body, ``Location``,
  ``ETag``) with ``Idempotent-Replayed: true``, and nothing is created;
- the same key with another request (another path or other content) → 422;
- while the first request runs, a second with its key waits for it to commit (the database's
  unique index holds it), then replays its answer; if the first failed, the second runs instead;
- an answer other than 2xx is not kept (nothing was created), so a retry runs again.

Keys belong to the token's user; they are kept ``KEEL_IDEMPOTENCY_KEY_HOURS`` (a periodic job
purges them).
"""

import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any, Final

import orjson
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja.decorators import decorate_view
from ninja.operation import Operation
from ninja.utils import contribute_operation_callback

from keel.accounts.api import user_of
from keel.idempotency.actions import HEADER, claim_key, store_answer
from keel.idempotency.models import IdempotencyKey
from keel.lib.errors import InvalidInput

# What a replay sends again besides status and body.
KEPT_HEADERS: Final = ("Content-Type", "Location", "ETag")
REPLAYED: Final = "Idempotent-Replayed"
MAX_LENGTH: Final = 255
_ERROR_SCHEMA: Final = {
    "type": "object",
    "properties": {"message": {"type": "string"}, "field": {"type": ["string", "null"]}},
    "required": ["message", "field"],
}
# Declared on every operation that takes the header, with the answer it adds.
PARAMETER: Final[dict[str, Any]] = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "A key you choose for this create (e.g. a UUID). Retrying with the same key and the same "
        "request returns the first answer again instead of creating twice; kept 24 hours."
    ),
    # Not $ at the end: see IF_MATCH_PATTERN.
    "schema": {"type": "string", "pattern": rf"^[ \t]*[!-~]{{1,{MAX_LENGTH}}}[ \t]*(?![\s\S])"},
}
RESPONSES: Final[dict[str, Any]] = {
    "422": {
        "description": "The Idempotency-Key was first sent with another request.",
        "content": {"application/json": {"schema": _ERROR_SCHEMA}},
    }
}

type Run = Callable[..., HttpResponseBase]


@dataclass
class _Pending:
    """A request with a key, between the operation that runs it and the view that claims the key."""

    claim: IdempotencyKey | None = None


_pending: ContextVar[_Pending | None] = ContextVar("keel_idempotency", default=None)


def idempotent[F: Callable[..., Any]](view: F) -> F:
    """Let the create endpoint ``view`` take an Idempotency-Key (see the module's docstring). Put it
    below the router's decorator."""
    contribute_operation_callback(view, _accept_key)
    return decorate_view(_answering)(view)


def _accept_key(operation: Operation) -> None:
    extra = operation.openapi_extra or {}
    operation.openapi_extra = {
        **extra,
        "parameters": [*extra.get("parameters", []), PARAMETER],
        "responses": {**extra.get("responses", {}), **RESPONSES},
    }
    operation.view_func = _claiming(operation.view_func)


def _answering(run: Run) -> Run:
    """The whole operation in one transaction with its key's claim; a 2xx answer is kept under it,
    any other rolls everything back."""

    @wraps(run)
    def answering(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if HEADER not in request.headers:
            return run(request, *args, **kwargs)
        pending = _Pending()
        token = _pending.set(pending)
        try:
            with transaction.atomic():
                response = run(request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    transaction.set_rollback(True)
                elif pending.claim is not None:
                    _keep(pending.claim, response)
        finally:
            _pending.reset(token)
        return response

    return answering


def _claiming(view: Callable[..., Any]) -> Callable[..., Any]:
    """Once the request is authenticated and parsed: claim its key, or answer what the key's first
    request was answered."""

    @wraps(view)
    def claiming(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        pending = _pending.get()
        if pending is None:
            return view(request, *args, **kwargs)
        claim = claim_key(
            user=user_of(request),
            key=_key(request.headers[HEADER]),
            request=f"{request.method} {request.path}",
            fingerprint=fingerprint(request),
        )
        if claim.answered:
            return _replay(claim)
        pending.claim = claim
        return view(request, *args, **kwargs)

    return claiming


def _key(raw: str) -> str:
    # The draft writes the key as a structured-field string ("…"); Stripe's clients send it bare.
    key = raw.strip(" \t")  # the header's optional whitespace (RFC 9110 §5.5)
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not 1 <= len(key) <= MAX_LENGTH or not all("!" <= char <= "~" for char in key):
        raise InvalidInput(
            f"{HEADER} must be 1 to {MAX_LENGTH} visible ASCII characters, e.g. a UUID (got {raw[:40]!r}).",
            field=HEADER,
        )
    return key


def fingerprint(request: HttpRequest) -> str:
    """A digest of what the request asks: its JSON body read as data (key order and spacing do not
    count), a form's fields and files (their names, sizes and content), or its raw body."""
    digest = hashlib.sha256()
    if request.content_type == "multipart/form-data":
        fields = {name: request.POST.getlist(name) for name in request.POST}
        digest.update(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS))
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                digest.update(orjson.dumps([name, upload.name, upload.size]))
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    elif request.content_type == "application/json" and request.body.strip():
        # The standard library's json, as ninja reads the body: it takes what orjson refuses (lone surrogates).
        digest.update(json.dumps(json.loads(request.body), sort_keys=True).encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _keep(claim: IdempotencyKey, response: HttpResponseBase) -> None:
    assert isinstance(response, HttpResponse), "an idempotent create answers a whole response"
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    store_answer(claim, status=response.status_code, headers=headers, body=response.content)


def _replay(claim: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(claim.body), status=claim.status)
    for name, value in claim.headers.items():
        response[name] = value
    response[REPLAYED] = "true"
    return response
