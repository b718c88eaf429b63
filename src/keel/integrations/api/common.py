"""What the monitoring API's routers share: who may read and write, references, page checks."""

from typing import Final

from django.http import HttpRequest

from keel.accounts.models import Team, User
from keel.accounts.queries import team_by_reference
from keel.integrations.permissions import can_manage_integrations, can_see_alerts
from keel.lib.errors import InvalidInput, NotAllowed

STAFF_ONLY: Final = "Alerts and monitoring are for IT staff."
MANAGERS_ONLY: Final = "Only incident managers and administrators manage monitoring sources, rules and windows."


def team_or_none(reference: str | int | None) -> Team | None:
    """The team a request field names (id or slug); None for null."""
    return team_by_reference(reference) if reference is not None else None


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


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


def check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= 100:
        raise InvalidInput(f"limit must be between 1 and 100 (got {limit}).", field="limit")
    if offset < 0:
        raise InvalidInput(f"offset must be 0 or more (got {offset}).", field="offset")
