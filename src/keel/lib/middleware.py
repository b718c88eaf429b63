from collections.abc import Callable
from io import IOBase
from typing import Any, Final

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from keel.lib import clock
from keel.lib.doors import Door, entering
from keel.lib.failures import page_not_found, refused, too_large

# The session's expiry is moved forward at most this often: a session write per request would
# double the database writes of reading the console.
SESSION_TOUCH_SECONDS: Final = 60
_TOUCHED: Final = "keel_seen"


class UserTimeZoneMiddleware:
    """Render times in the signed-in user's own time zone; everything is stored in UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone = getattr(user, "time_zone", "") if user is not None and user.is_authenticated else ""
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        return self.get_response(request)


class DoorMiddleware:
    """Say which door a request came through (``lib.doors``), for the audit trail: the REST API,
    the admin, monitoring's inbound URLs, or the console."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.doors = [
            (tuple(settings.KEEL_API_PATHS), Door.API),
            (tuple(settings.KEEL_BARE_PATHS), Door.MONITORING),
            (("/admin/",), Door.ADMIN),
        ]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        door = next((door for prefixes, door in self.doors if request.path_info.startswith(prefixes)), Door.CONSOLE)
        with entering(door):
            return self.get_response(request)


class BodyTooLarge(RequestDataTooBig):
    """A request body past ``KEEL_UPLOAD_MAX_BYTES``, found while it was read (answered 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The body is larger than {limit} bytes.")
        self.limit = limit


class RequestLimitsMiddleware:
    """Refuse what no view should read, before it is read: a body declared larger than
    ``KEEL_UPLOAD_MAX_BYTES`` (413 at once, before a byte of an upload is spooled), a NUL in the
    path (404: nothing is named so) or in a query parameter (400 naming it). A chunked body (no
    Content-Length) is read through a stream that stops it once it passes the limit (413)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.KEEL_UPLOAD_MAX_BYTES
        declared = str(request.META.get("CONTENT_LENGTH") or "")
        if declared.isdigit() and int(declared) > limit:
            return too_large(request, limit)
        if not declared and request.META.get("wsgi.input_terminated") and "wsgi.input" in request.META:
            # Django reads no more than Content-Length, so without one it would see an empty body.
            request._stream = CappedStream(request.META["wsgi.input"], limit)  # type: ignore[assignment]
        if "\x00" in request.path_info:
            return page_not_found(request, Http404())
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                shown = name.replace("\x00", "")
                return refused(request, 400, f"The query parameter {shown!r} contains a NUL character (%00).", shown)
        return self.get_response(request)


class CappedStream(IOBase):
    """A request body of unknown length, read until its end or until it passes ``limit`` bytes."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.seen = 0

    def read(self, size: int | None = -1, /) -> bytes:
        wanted = self.limit + 1 - self.seen if size is None or size < 0 else min(size, self.limit + 1 - self.seen)
        return self._counted(self.stream.read(wanted) if wanted > 0 else b"")

    def readline(self, size: int | None = -1, /) -> bytes:
        wanted = self.limit + 1 - self.seen if size is None or size < 0 else min(size, self.limit + 1 - self.seen)
        return self._counted(self.stream.readline(wanted) if wanted > 0 else b"")

    def _counted(self, data: bytes) -> bytes:
        self.seen += len(data)
        if self.seen > self.limit:
            raise BodyTooLarge(self.limit)
        return data


class CappedUploadHandler(FileUploadHandler):
    """First of ``FILE_UPLOAD_HANDLERS``: stops a multipart upload once its files pass
    ``KEEL_UPLOAD_MAX_BYTES`` (413), so that no handler after it spools more than that."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.seen = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.seen += len(raw_data)
        if self.seen > settings.KEEL_UPLOAD_MAX_BYTES:
            raise BodyTooLarge(settings.KEEL_UPLOAD_MAX_BYTES)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class SessionActivityMiddleware:
    """Keep a signed-in session alive while it is used: it expires ``SESSION_COOKIE_AGE``
    (``KEEL_SESSION_IDLE_MINUTES``) after its last save, and a request saves it again when the
    last save is a minute old or more."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Signed in by this session (not by an API token, which has none to extend).
        if session is not None and session.get(SESSION_KEY):
            now = int(clock.now().timestamp())
            if now - int(session.get(_TOUCHED, 0)) >= SESSION_TOUCH_SECONDS:
                session[_TOUCHED] = now  # modified: SessionMiddleware saves it with a new expiry
        return response


def session_started(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """On sign-in (``user_logged_in``, connected in ``LibConfig.ready``): the session was just saved
    with a full idle time ahead, so the first requests need not save it again."""
    request.session[_TOUCHED] = int(clock.now().timestamp())


def client_address(request: HttpRequest) -> str:
    """The address a request comes from: behind ``KEEL_TRUSTED_PROXIES`` proxies, the one the
    outermost of them saw (read from the end of X-Forwarded-For, which a client can only prepend to)."""
    proxies = settings.KEEL_TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
    if proxies > 0 and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))
