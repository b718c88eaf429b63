"""How Keel answers when a request fails, whichever layer it fails in (DESIGN §4.7, §4.9).

Machines (the REST API and monitoring's inbound URLs) always get JSON ``{message, field}``;
people in the console get a page. The REST API's own handlers (``lib/api.py``) answer what
happens inside an endpoint; Django's error views here (named in ``config/urls.py``) answer what
happens outside one — an unknown address, a body too large to read, an exception in a view or a
middleware — and ``FailureAnswersMiddleware`` turns the few bare answers nobody renders (a 405
from routing) into the same JSON. A database that does not answer is 503 with ``Retry-After``
everywhere; any other unexpected exception is a 500 that hides the internals and logs the
traceback.
"""

import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from keel.lib.database import is_database_down

logger = logging.getLogger("keel.failures")

NOT_FOUND: Final = "Nothing is at this address; the API's addresses are listed at /api/v1/docs."
FORBIDDEN: Final = "You may not do this."
BAD_REQUEST: Final = "The request is not valid; see /api/v1/docs for what this call takes."
SERVER_ERROR: Final = (
    "Keel could not answer because of an error on its side; it is logged for the administrators. "
    "Nothing was changed; try again later."
)
UNSUPPORTED_JSON: Final = "Send the body as JSON, with 'Content-Type: application/json'."


def unavailable_message() -> str:
    return (
        "The database is not answering, so Keel cannot serve this request; nothing was changed. "
        f"Try again in {settings.KEEL_RETRY_AFTER_SECONDS} seconds."
    )


def too_large_message(limit: int) -> str:
    return f"The body is too large: Keel reads at most {limit:,} bytes here; send less (a smaller file or batch)."


def for_machines(request: HttpRequest) -> bool:
    """Whether the request came to a machine's address (the API, an inbound URL): answered in JSON."""
    return request.path_info.startswith((*settings.KEEL_API_PATHS, *settings.KEEL_BARE_PATHS))


def error_body(message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"message": message, "field": field, **extra}


def json_error(
    status: int,
    message: str,
    field: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    answer = HttpResponse(orjson.dumps(error_body(message, field, **extra)), status=status)
    answer["Content-Type"] = "application/json"
    for name, value in (headers or {}).items():
        answer[name] = value
    return answer


def retry_later() -> dict[str, str]:
    return {"Retry-After": str(settings.KEEL_RETRY_AFTER_SECONDS)}


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 while the database does not answer: JSON for machines, a plain page for people."""
    logger.warning("database unavailable: %s %s answered 503", request.method, _route(request))
    if for_machines(request):
        return json_error(503, unavailable_message(), headers=retry_later())
    return _standalone_page("503.html", 503, headers=retry_later())


def server_error(request: HttpRequest, exc: BaseException | None) -> HttpResponse:
    """The answer to an exception nobody expected: 503 if the database is down, else a logged 500."""
    if exc is not None and is_database_down(exc):
        return unavailable(request)
    logger.error("%s %s failed", request.method, _route(request), exc_info=exc)
    if for_machines(request):
        return json_error(500, SERVER_ERROR)
    return _standalone_page("500.html", 500)


def _route(request: HttpRequest) -> str:
    # Inbound paths carry a source's secret: log which door, never the whole path.
    if request.path_info.startswith(tuple(settings.KEEL_BARE_PATHS)):
        return "/".join(request.path_info.split("/")[:3]) + "/…"
    return request.path_info


def _standalone_page(template: str, status: int, *, headers: Mapping[str, str] | None = None) -> HttpResponse:
    # Rendered without the request: a page that needs the signed-in user would ask the database again.
    answer = HttpResponse(render_to_string(template), status=status)
    for name, value in (headers or {}).items():
        answer[name] = value
    return answer


# --- Django's error views (config/urls.py names them) -----------------------------------------


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return too_large(request, getattr(exception, "limit", settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
    return refused(request, 400, BAD_REQUEST)


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    return refused(request, 413, too_large_message(limit))


def refused(request: HttpRequest, status: int, message: str, field: str | None = None) -> HttpResponse:
    """A 4xx for input no view read: JSON for machines, the "can't do that" page for people."""
    if for_machines(request):
        return json_error(status, message, field)
    return render(request, "400.html", {"message": message}, status=status)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if for_machines(request):
        return json_error(403, FORBIDDEN)
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if for_machines(request):
        return json_error(404, NOT_FOUND)
    return render(request, "404.html", status=404)


def internal_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its ``except`` block: the exception is the one being handled.
    return server_error(request, sys.exception())


# --- bare answers made into the same JSON -----------------------------------------------------


def _not_allowed_message(request: HttpRequest, allowed: Iterable[str]) -> str:
    methods = ", ".join(sorted(method.strip() for method in allowed if method.strip()))
    return f"{request.method} is not allowed at this address; use {methods}."


_MESSAGES: Final[Mapping[int, str]] = {
    400: BAD_REQUEST,
    401: "Send valid credentials.",
    403: FORBIDDEN,
    404: NOT_FOUND,
    415: UNSUPPORTED_JSON,
    500: SERVER_ERROR,
}


class FailureAnswersMiddleware:
    """Give machines JSON for the error answers that no handler rendered (a 405 from routing, an
    empty 4xx from a decorator), keeping their headers (``Allow``, ``Retry-After``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not for_machines(request) or _is_json(response):
            return response
        if response.status_code == 405:
            message = _not_allowed_message(request, response.get("Allow", "").split(","))
        else:
            message = _MESSAGES.get(response.status_code, BAD_REQUEST if response.status_code < 500 else SERVER_ERROR)
        answer = json_error(response.status_code, message)
        for name in ("Allow", "Retry-After", "WWW-Authenticate"):
            if response.has_header(name):
                answer[name] = response[name]
        return answer


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
