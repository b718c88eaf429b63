"""The hand-written SQL of accounts (DESIGN §4.8): the token lookup every API request starts with."""

from datetime import datetime
from typing import Final

from django.db import connection

from keel.accounts.models import ApiToken, User
from keel.lib.sql import columns_of, fetch, instance_from_row


def user_by_token_hash(key_hash: str, *, stamped_before: datetime) -> tuple[User, int, bool] | None:
    """The active user owning the unrevoked token with this hash, the token's id, and whether its
    last use was stamped before ``stamped_before``; None when there is no such token.

    One statement and no RawQuerySet: compiling the ORM's query was a sixth of a list request's CPU
    (bench/README.md)."""
    stale = connection.ops.adapt_datetimefield_value(stamped_before)
    found = fetch(_USER_FOR_TOKEN, [stale, key_hash])
    if not found:
        return None
    *fields, token_id, needs_stamp = found[0]
    return instance_from_row(User, fields), int(token_id), bool(needs_stamp)


_USER_FOR_TOKEN: Final = f"""
    SELECT {columns_of(User, "u")}, t.id,
        (t.last_used_at IS NULL OR t.last_used_at < %s)
    FROM {User._meta.db_table} u JOIN {ApiToken._meta.db_table} t ON t.user_id = u.id
    WHERE t.key_hash = %s AND t.revoked_at IS NULL AND u.is_active
"""
