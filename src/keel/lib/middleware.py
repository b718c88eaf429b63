from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from keel.lib.doors import Door, entering


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
