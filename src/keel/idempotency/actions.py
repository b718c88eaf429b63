"""Claiming an Idempotency-Key for a create, storing the answer under it, purging old keys.

``claim_key`` and ``store_answer`` run in the create's own transaction (``api.idempotent`` opens
it): the claim is inserted first, so a second request with the same key waits on the unique index
until the first commits (then replays its answer) or rolls back (then runs as the first).
"""

from datetime import timedelta
from typing import Final

from django.conf import settings
from django.db import IntegrityError, transaction

from keel.accounts.models import User
from keel.idempotency.models import IdempotencyKey
from keel.lib import clock
from keel.lib.errors import Conflict, KeyReused

HEADER: Final = "Idempotency-Key"
# Deleted per statement by the purge job, so that one run never holds a long lock.
PURGE_BATCH: Final = 1000


def key_lifetime() -> timedelta:
    return timedelta(hours=settings.KEEL_IDEMPOTENCY_KEY_HOURS)


def claim_key(*, user: User, key: str, request: str, fingerprint: str) -> IdempotencyKey:
    """Take ``key`` for this request (``request``: method and path; ``fingerprint``: a digest of its
    content), inside the create's transaction. Returns the new claim (not ``answered``: answer it
    with ``store_answer`` before the transaction commits) or the earlier, answered claim of the same
    request, to send again. An expired claim is replaced. The key first sent with another request
    is KeyReused (422)."""
    now = clock.now()
    claim = IdempotencyKey(user=user, key=key, request=request, fingerprint=fingerprint, created_at=now)
    for _ in range(2):
        if _inserted(claim):
            return claim
        earlier = IdempotencyKey.objects.filter(user=user, key=key).first()
        if earlier is None:
            continue  # purged meanwhile: claim it again
        if earlier.created_at <= now - key_lifetime():
            earlier.delete()
            continue
        if (earlier.request, earlier.fingerprint) != (request, fingerprint):
            raise KeyReused(
                f"The Idempotency-Key {key!r} was first sent with another request "
                f"({earlier.request}, with other content); a retry must repeat the request exactly. "
                "Use a new key for a new request.",
                field=HEADER,
            )
        if not earlier.answered:
            raise Conflict(f"The request with Idempotency-Key {key!r} is still being processed; retry.", field=HEADER)
        return earlier
    raise Conflict(f"The Idempotency-Key {key!r} is being claimed by another request; retry.", field=HEADER)


def _inserted(claim: IdempotencyKey) -> bool:
    try:
        with transaction.atomic():
            claim.save(force_insert=True)
    except IntegrityError:
        claim.pk = None
        return False
    return True


def store_answer(claim: IdempotencyKey, *, status: int, headers: dict[str, str], body: bytes) -> None:
    """Keep the create's answer under its claim, in the create's transaction."""
    claim.status, claim.headers, claim.body = status, headers, body
    claim.save(update_fields=["status", "headers", "body"])


def purge_expired_keys() -> int:
    """Delete the keys older than their lifetime, a batch per statement; returns how many. A retry
    that late creates anew. Safe to run twice and on several workers."""
    cutoff = clock.now() - key_lifetime()
    purged = 0
    while True:
        batch = list(IdempotencyKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:PURGE_BATCH])
        if not batch:
            return purged
        purged += IdempotencyKey.objects.filter(pk__in=batch).delete()[0]
