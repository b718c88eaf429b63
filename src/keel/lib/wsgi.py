"""WSGI plumbing: requests from machines skip the middleware that only browsers need.

Monitoring tools post hundreds of alerts a second to a few URLs that use no session, no CSRF
token, no signed-in user, no messages and no static files. ``BareHandler`` is Django's own WSGI
handler (URL resolution, signals that recycle database connections, exception responses) with an
empty middleware chain; ``by_path`` sends the configured path prefixes to it and everything else to
the full application. Measured on a one-alert Alertmanager POST: the middleware stack was about a
third of the request's CPU.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BareHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        self._middleware_chain = convert_exception_to_response(getattr(self, "_get_response"))  # noqa: B009


def by_path(full: WSGIApp, bare: WSGIApp, prefixes: tuple[str, ...]) -> WSGIApp:
    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(prefixes):
            return bare(environ, start_response)
        return full(environ, start_response)

    return application
