"""Writes on people, teams and API tokens: one function per verb, each audited (subject types
``user``, ``team`` and ``api_token``) in the transaction that makes the change.

``actor`` is who makes the change; None (the default) is Keel itself: the demo loader and the
command line, whose door the audit rows record. Two writes are not audited because they are not a
person's change: failed sign-ins (``SignInFailure``, counted for throttling) and a token's
``last_used_at`` (stamped on use).
"""

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from typing import Any, Final

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify

from keel.accounts.models import ApiToken, SignInFailure, Team, User, hash_token
from keel.accounts.queries import failures_since
from keel.accounts.roles import Role
from keel.accounts.rows import user_by_token_hash
from keel.accounts.throttling import Counter, counter_keys, limits, over_limit
from keel.audit.actions import (
    create_audited,
    delete_audited,
    editable_fields,
    record_changes,
    record_changes_of_many,
    update_audited,
)
from keel.lib import clock
from keel.lib.errors import InvalidInput

TOKEN_PREFIX = "keel_"
PREFIX_LENGTH: Final = 12  # what lists show of a token (ApiToken.prefix): TOKEN_PREFIX and 7 characters

# What describes the person (the admin shows them together).
PERSON_FIELDS: Final = (
    *("name", "email", "phone", "time_zone", "is_vip"),
    *("department", "location", "away_until", "manager"),
)
# What people change on an account, each change audited. Held to the model by
# ``test_user_fields_columns_follow_the_model``, which says why the other fields are not here.
USER_FIELDS: Final = frozenset({"username", *PERSON_FIELDS, "role", "is_active"})
TEAM_FIELDS: Final = editable_fields(Team)

# How the audit rows read a password change: that it happened, never a value.
PASSWORD_CHANGED: Final = "changed"
PASSWORD_DISABLED: Final = "disabled (API tokens only)"


# --- people ---------------------------------------------------------------------------------


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
    actor: User | None = None,
) -> User:
    """Create a person with a role. Without a password they cannot sign in to the UI (API tokens only).

    Audited as ``created`` and the role it grants (a privilege, looked for in the trail like any later change)."""
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
    with transaction.atomic():
        user.save()
        record_changes(
            subject_type="user",
            subject_id=user.pk,
            actor=actor,
            changes=[("created", "", username), ("role", "", role)],
        )
    return user


def update_user(user: User, *, actor: User | None, changes: Mapping[str, Any]) -> list[str]:
    """Change an account's fields (USER_FIELDS), each audited. Returns the fields changed; changing
    nothing is a no-op."""
    return update_audited(user, changes, subject_type="user", actor=actor, allowed=USER_FIELDS)


def change_password(user: User, *, actor: User | None, password: str | None) -> None:
    """Give the account a new password, or none (``None``: API tokens only). Audited as ``password``
    with no value shown."""
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    with transaction.atomic():
        user.save(update_fields=["password"])
        shown = PASSWORD_CHANGED if password else PASSWORD_DISABLED
        record_changes(subject_type="user", subject_id=user.pk, actor=actor, changes=[("password", "", shown)])


def set_shared_password(users: Sequence[User], password: str, *, actor: User | None = None) -> None:
    """Give several accounts one password, hashed once (demo and training accounts)."""
    with transaction.atomic():
        User.objects.filter(pk__in=[user.pk for user in users]).update(password=make_password(password))
        record_changes_of_many(
            subject_type="user", actor=actor, changes=[(user.pk, "password", "", PASSWORD_CHANGED) for user in users]
        )


def delete_user(user: User, *, actor: User | None) -> None:
    """Remove an account nothing refers to yet; one that opened, worked or changed anything stays."""
    refusal = f"{user} has history in Keel (incidents, the audit trail); make the account inactive instead."
    delete_audited(user, subject_type="user", actor=actor, refusal=refusal)


# --- teams ----------------------------------------------------------------------------------


def create_team(
    *,
    actor: User | None,
    slug: str,
    name: str,
    description: str = "",
    email: str = "",
    manager: User | None = None,
    escalates_to: Team | None = None,
) -> Team:
    team = Team(slug=slug, name=name, description=description, email=email, manager=manager, escalates_to=escalates_to)
    return create_audited(team, subject_type="team", actor=actor)


def update_team(team: Team, *, actor: User | None, changes: Mapping[str, Any]) -> list[str]:
    """Change a team's fields; its members change through ``set_team_members``."""
    return update_audited(team, changes, subject_type="team", actor=actor, allowed=TEAM_FIELDS)


def delete_team(team: Team, *, actor: User | None) -> None:
    """Remove a team; CIs, services and sources it owned keep no owner. Refused while incidents are assigned to it."""
    refusal = f"Incidents are assigned to {team}; reassign them before deleting the team."
    delete_audited(team, subject_type="team", actor=actor, refusal=refusal)


def ensure_team(*, slug: str, name: str = "", manager: User | None = None, actor: User | None = None) -> Team:
    """Return the team with this slug, creating it when missing (and making ``manager`` its manager)."""
    slug = slugify(slug)
    if not slug:
        raise InvalidInput("A team needs a slug made of letters, digits or dashes.", field="team")
    with transaction.atomic():
        team, created = Team.objects.get_or_create(slug=slug, defaults={"name": name or slug.replace("-", " ").title()})
        if created:
            record_changes(subject_type="team", subject_id=team.pk, actor=actor, changes=[("created", "", str(team))])
        if manager is not None:
            update_team(team, actor=actor, changes={"manager": manager})
    return team


def add_team_member(team: Team, user: User, *, actor: User | None = None) -> None:
    """Make ``user`` a member of the team; a member already is a no-op."""
    set_team_members(team, actor=actor, members=[*team.members.all(), user])


def set_team_members(team: Team, *, actor: User | None, members: Iterable[User]) -> None:
    """Make these people the team's members: one ``member`` audit row per person added or removed."""
    wanted = {user.pk: user for user in members}
    with transaction.atomic():
        Team.objects.select_for_update().filter(pk=team.pk).first()  # one change of the members at a time
        current = {user.pk: user for user in team.members.all()}
        added = [user for pk, user in wanted.items() if pk not in current]
        removed = [user for pk, user in current.items() if pk not in wanted]
        team.members.add(*added)
        team.members.remove(*removed)
        record_changes(
            subject_type="team",
            subject_id=team.pk,
            actor=actor,
            changes=[*(("member", "", user) for user in added), *(("member", user, "") for user in removed)],
        )


# --- API tokens -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str


def issue_api_token(user: User, *, name: str = "", actor: User | None = None) -> IssuedToken:
    """Create an API token. The raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=raw[:PREFIX_LENGTH], key_hash=hash_token(raw))
        record_changes(
            subject_type="api_token", subject_id=token.pk, actor=actor, changes=[("created", "", str(token))]
        )
    return IssuedToken(token=token, raw=raw)


def revoke_api_token(token: ApiToken, *, actor: User | None = None) -> None:
    """Stop a token from working. Revoking a revoked token is a no-op."""
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    with transaction.atomic():
        token.save(update_fields=["revoked_at"])
        record_changes(
            subject_type="api_token", subject_id=token.pk, actor=actor, changes=[("revoked_at", "", token.revoked_at)]
        )


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


def sign_in(request: HttpRequest | None, *, username: str, password: str, address: str) -> User | None:
    """The user these credentials open, or None: for a wrong username, a wrong password and a
    throttled attempt alike, so that the answer tells none of them apart (``throttling.py``).

    A throttled attempt checks no password and counts nothing more; it waits until failures slide
    out of the window. A failure counts against the username from this address, the address and
    the username; a success forgets this username's failures from this address."""
    now = clock.now()
    keys = counter_keys(username, address)
    current = limits()
    if over_limit(failures_since(keys, now - current.window), current):
        return None
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User):
        SignInFailure.objects.bulk_create([SignInFailure(key=key, at=now) for key in keys.values()])
        return None
    SignInFailure.objects.filter(key=keys[Counter.PAIR]).delete()
    return user


def forget_expired_sessions() -> None:
    """Delete console sessions past their expiry (``KEEL_SESSION_IDLE_MINUTES`` unused); a periodic job."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def forget_old_sign_in_failures() -> int:
    """Forget the failed sign-ins that slid out of the window (a periodic job); how many."""
    deleted, _ = SignInFailure.objects.filter(at__lte=clock.now() - limits().window).delete()
    return deleted
