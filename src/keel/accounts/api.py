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
