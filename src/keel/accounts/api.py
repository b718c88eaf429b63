from django.http import HttpRequest
from ninja.security import HttpBearer

from keel.accounts.actions import user_for_token
from keel.accounts.models import User


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``; the request then acts as the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token.strip())
        if user is not None:
            request.user = user
        return user


def user_of(request: HttpRequest) -> User:
    """The person a request acts as: the token's user on the API, the signed-in user elsewhere."""
    user = getattr(request, "auth", None) or request.user
    assert isinstance(user, User)
    return user
