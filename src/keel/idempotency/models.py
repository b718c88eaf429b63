"""Idempotency keys (DESIGN §4.9: creates accept an Idempotency-Key): what a create answered,
kept under the key its client sent, so that a retry gets the same answer instead of a second record."""

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """A create the API answered, under the Idempotency-Key its client sent with it.

    Written in the create's own transaction, answer included, so an acknowledged create and its
    key are stored together or not at all. Keys belong to the token's user (two people may pick the
    same key) and are purged after ``KEEL_IDEMPOTENCY_KEY_HOURS``. Not audited: it records a
    request, not a change to a record (the create it answered is audited).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    # What the key was first sent with: the method and path, and a digest of the request's content.
    request = models.CharField(max_length=300)
    fingerprint = models.CharField(max_length=64)
    # The answer: 0 until it is stored, which happens before the claim's transaction commits.
    status = models.PositiveSmallIntegerField(default=0)
    headers = models.JSONField(default=dict)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")]
        # The purge job's range.
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]

    def __str__(self) -> str:
        return f"{self.key} ({self.request})"

    @property
    def answered(self) -> bool:
        return self.status != 0
