"""Writes on people, teams and API tokens."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify

from keel.accounts.models import ApiToken, Team, User, hash_token
from keel.accounts.roles import Role
from keel.accounts.rows import user_by_token_hash
from keel.lib.errors import InvalidInput, NotAllowed

TOKEN_PREFIX = "keel_"


def create_user(
    *,
    username: str,
    role: Role,
    name: str = "",
    email: str = "",
    password: str | None = None,
    phone: str = "",
    time_zone: str = "UTC",
    is_vip: bool = False,
    manager: User | None = None,
) -> User:
    """Create a person with a role. Without a password they cannot sign in to the UI (API tokens only)."""
    if User.objects.filter(username=username).exists():
        raise InvalidInput(f"A user named {username!r} already exists; pick another username.", field="username")
    user = User(
        username=username,
        role=role,
        name=name,
        email=email,
        phone=phone,
        time_zone=time_zone,
        is_vip=is_vip,
        manager=manager,
    )
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise InvalidInput(f"{field}: {' '.join(messages)}", field=field) from error
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def set_shared_password(users: Sequence[User], password: str) -> None:
    """Give several accounts one password, hashed once (demo and training accounts)."""
    User.objects.filter(pk__in=[user.pk for user in users]).update(password=make_password(password))


def ensure_team(*, slug: str, name: str = "", manager: User | None = None) -> Team:
    """Return the team with this slug, creating it when missing."""
    slug = slugify(slug)
    if not slug:
        raise InvalidInput("A team needs a slug made of letters, digits or dashes.", field="team")
    team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": name or slug.replace("-", " ").title()})
    if manager is not None and team.manager_id != manager.pk:
        team.manager = manager
        team.save(update_fields=["manager"])
    return team


def add_team_member(team: Team, user: User) -> None:
    team.members.add(user)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str


def issue_api_token(user: User, *, name: str = "") -> IssuedToken:
    """Create an API token. The raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], key_hash=hash_token(raw))
    return IssuedToken(token=token, raw=raw)


def revoke_api_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def user_for_token(raw: str) -> User | None:
    """The active user owning this unrevoked token, or None. Its use is stamped at most once a
    minute: a write per API call would double the cost of reads."""
    now = timezone.now()
    found = user_by_token_hash(hash_token(raw), stamped_before=now - timedelta(minutes=1))
    if found is None:
        return None
    user, token_id, needs_stamp = found
    if needs_stamp:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user


class AccountLocked(NotAllowed):
    pass


def sign_in(request: HttpRequest | None, *, username: str, password: str) -> User | None:
    """Check credentials, counting failures; too many in a row lock the account for a while.

    Returns the user on success, None on bad credentials, raises AccountLocked while locked.
    """
    now = timezone.now()
    with transaction.atomic():
        account = User.objects.select_for_update().filter(username=username).first()
        if account is not None and account.locked_until is not None and account.locked_until > now:
            minutes = max(1, int((account.locked_until - now).total_seconds() // 60) + 1)
            raise AccountLocked(
                f"Too many failed sign-ins: this account is locked for {minutes} more minute(s). "
                "Wait, or ask an administrator to unlock it."
            )
        user = authenticate(request, username=username, password=password)
        if account is None:
            return None
        if user is None:
            account.failed_sign_ins += 1
            if account.failed_sign_ins >= settings.KEEL_SIGN_IN_MAX_FAILURES:
                account.locked_until = now + timedelta(minutes=settings.KEEL_SIGN_IN_LOCKOUT_MINUTES)
                account.failed_sign_ins = 0
            account.save(update_fields=["failed_sign_ins", "locked_until"])
            return None
        if account.failed_sign_ins or account.locked_until:
            account.failed_sign_ins = 0
            account.locked_until = None
            account.save(update_fields=["failed_sign_ins", "locked_until"])
        assert isinstance(user, User)
        return user
