"""Reads on people and teams."""

from django.db.models import QuerySet

from keel.accounts.models import Team, User
from keel.lib.references import by_reference


def team_by_reference(reference: str | int) -> Team:
    return by_reference(
        Team.objects.all(),
        reference,
        key="slug",
        field="assignment_group",
        what="assignment group",
        give="a team id or slug",
    )


def user_by_reference(reference: str | int, *, field: str) -> User:
    """An active user by id or username."""
    return by_reference(
        User.objects.filter(is_active=True),
        reference,
        key="username",
        field=field,
        what="user",
        give="a user id or username",
        purpose=f" for {field}",
    )


def staff_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True).exclude(role="requester")
