"""WSGI plumbing: requests from machines skip the middleware that only browsers need.

Monitoring tools post hundreds of alerts a second to a few URLs that use no session, no CSRF
token, no signed-in user, no messages and no static files; API clients authenticate every request
with a bearer token. ``BareHandler`` is Django's own WSGI handler (URL resolution, signals that
recycle database connections, exception responses) with a short middleware chain of its own (none
by default); ``by_path`` sends each configured path prefix to its handler and everything else to
the full application: the browser's middleware was a third of a one-alert POST's CPU.

A machine's answer is small and whole, so ``BareHandler`` hands the server its bytes as a list: the
server then sends them in one write with their Content-Length, where Django's response object (an
iterable) went out chunk by chunk in chunked encoding (bench/README.md has both measurements).
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse
from django.utils.module_loading import import_string

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BareHandler(WSGIHandler):
    def __init__(self, middleware: Sequence[str] = ()) -> None:
        self.middleware = tuple(middleware)  # dotted paths, outermost first, as in MIDDLEWARE
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        # Only middleware with no view, template-response or exception hooks belongs here.
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        handler = convert_exception_to_response(getattr(self, "_get_response"))  # noqa: B009
        for path in reversed(self.middleware):
            handler = convert_exception_to_response(import_string(path)(handler))
        self._middleware_chain = handler

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        response = super().__call__(environ, start_response)
        if not isinstance(response, HttpResponse):  # streamed (files, exports): as Django sends it
            return response
        body = [response.content]
        response.close()  # what the server's close() would do: request_finished recycles the connection
        return body


def by_path(full: WSGIApp, routes: Sequence[tuple[tuple[str, ...], WSGIApp]]) -> WSGIApp:
    """``full`` for every request but those whose path starts with one of a route's prefixes."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        for prefixes, app in routes:
            if path.startswith(prefixes):
                return app(environ, start_response)
        return full(environ, start_response)

    return application
