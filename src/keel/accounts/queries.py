"""Reads on people and teams."""

from collections.abc import Mapping, Sequence
from datetime import datetime

from django.db.models import Count, QuerySet

from keel.accounts.models import ApiToken, SignInFailure, Team, User
from keel.accounts.throttling import Counter
from keel.lib.references import by_reference, ids_by_reference


def team_by_reference(reference: str | int, *, field: str = "assignment_group") -> Team:
    return by_reference(
        Team.objects.all(),
        reference,
        key="slug",
        field=field,
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


def team_ids_by_reference(references: Sequence[str]) -> tuple[int, ...]:
    """The ids of the teams these references name (ids or slugs), for a read's filter."""
    return ids_by_reference(
        Team, references, key="slug", field="assignment_group", what="assignment group", give="a team id or slug"
    )


def user_ids_by_reference(references: Sequence[str], *, field: str) -> tuple[int, ...]:
    """The ids of the active users these references name (ids or usernames), for a read's filter."""
    return ids_by_reference(
        User,
        references,
        key="username",
        field=field,
        what="user",
        give="a user id or username",
        purpose=f" for {field}",
        only="is_active",
    )


def staff_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True).exclude(role="requester")


def api_tokens(*, username: str | None = None, prefix: str | None = None) -> QuerySet[ApiToken]:
    """API tokens with their owner, oldest first: every one, or one person's, or those with this prefix."""
    tokens = ApiToken.objects.select_related("user").order_by("created_at", "pk")
    if username is not None:
        tokens = tokens.filter(user__username=username)
    if prefix is not None:
        tokens = tokens.filter(prefix=prefix)
    return tokens


def failures_since(keys: Mapping[Counter, str], since: datetime) -> dict[Counter, int]:
    """How many failed sign-ins each counter holds after ``since`` (one query)."""
    counter_of = {key: counter for counter, key in keys.items()}
    rows = (
        SignInFailure.objects.filter(key__in=list(counter_of), at__gt=since)
        .values("key")
        .annotate(failures=Count("id"))
        .order_by()
    )
    return {counter_of[row["key"]]: int(row["failures"]) for row in rows}
