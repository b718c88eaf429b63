"""What the monitoring API's routers share: who may read and write, and the records a request's
references name."""

from collections.abc import Callable, Mapping
from typing import Any, Final

from django.http import HttpRequest

from keel.accounts.api import user_of
from keel.accounts.models import User
from keel.integrations.permissions import can_manage_integrations, can_see_alerts
from keel.lib.errors import NotAllowed

STAFF_ONLY: Final = "Alerts and monitoring are for IT staff."
MANAGERS_ONLY: Final = "Only incident managers and administrators manage monitoring sources, rules and windows."


def reader(request: HttpRequest) -> User:
    user = user_of(request)
    if not can_see_alerts(user):
        raise NotAllowed(STAFF_ONLY)
    return user


def manager(request: HttpRequest) -> User:
    user = user_of(request)
    if not can_manage_integrations(user):
        raise NotAllowed(MANAGERS_ONLY)
    return user


def with_records(data: Mapping[str, Any], finders: Mapping[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """The request's fields with each reference ``finders`` reads (an id, a name or a slug)
    replaced by its record (or InvalidInput naming the field); null stays None: none."""
    return {
        name: finders[name](value) if name in finders and value is not None else value for name, value in data.items()
    }
