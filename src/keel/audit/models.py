"""The audit trail: one row per changed field of any record, whatever the door. Append-only."""

from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.db import models

from keel.lib.doors import Door


class AppendOnly(Exception):
    """Audit records are never changed or deleted by the application."""

    def __init__(self) -> None:
        super().__init__("Audit records are append-only: they are never changed or deleted.")


class Versioned(models.Model):
    """A record people change through the API, which a client may change conditionally: ``revision``
    counts its changes (1 when created) and is its entity tag (``ETag: "3"``), so ``If-Match``
    can say which one the client read. ``keel.audit.actions`` bumps it with every audited change,
    under the row's lock, and refuses a change whose If-Match names another."""

    revision = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    @property
    def entity_tag(self) -> str:
        return str(self.revision)


class AuditQuerySet(models.QuerySet["AuditRecord"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly()

    def delete(self) -> NoReturn:
        raise AppendOnly()

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly()


class AuditRecord(models.Model):
    """One field change on a record: who, when, through which door, old value, new value.

    A record is addressed as ``(subject_type, subject_id)`` (``("incident", 42)``, ``("ci", 7)``,
    ``("user", 3)``): ``audit`` sits below every app that keeps records and points at none of them.
    Creating a record is the field ``created``, deleting one ``deleted``.
    """

    subject_type = models.CharField(max_length=32)
    subject_id = models.BigIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Door.choices, default=Door.SYSTEM)
    field = models.CharField(max_length=64)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)

    objects: ClassVar[AuditQuerySet] = AuditQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "at"], name="audit_subject_at"),
            # The audit page: newest first, and one person's changes.
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=["actor", "-at", "-id"], name="audit_actor_at"),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(channel__in=Door.values), name="audit_channel_valid")]

    def __str__(self) -> str:
        return f"{self.subject_type} {self.subject_id}.{self.field}: {self.old_value!r} → {self.new_value!r}"

    # Refused before anything is written or a transaction is touched. ``save()`` itself is left
    # alone: the speed layer inserts audit rows without it, and refuses models whose save() does more.
    def save_base(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly()
        super().save_base(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly()
