"""Reads on people and teams."""

from django.db.models import QuerySet

from keel.accounts.models import Team, User
from keel.lib.errors import InvalidInput


def team_by_reference(reference: str | int) -> Team:
    """A team by id or slug; InvalidInput naming what was given when there is none."""
    lookup = {"pk": int(reference)} if str(reference).isdigit() else {"slug": reference}
    team = Team.objects.filter(**lookup).first()
    if team is None:
        raise InvalidInput(f"No assignment group {reference!r}; give a team id or slug.", field="assignment_group")
    return team


def user_by_reference(reference: str | int, *, field: str) -> User:
    """An active user by id or username."""
    lookup = {"pk": int(reference)} if str(reference).isdigit() else {"username": reference}
    user = User.objects.filter(is_active=True, **lookup).first()
    if user is None:
        raise InvalidInput(f"No user {reference!r} for {field}; give a user id or username.", field=field)
    return user


def staff_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True).exclude(role="requester")
