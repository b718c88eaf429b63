"""Timeline, comments and attachments shared by every kind of record (the audit trail is ``keel.audit``).

A record is addressed by ``(subject_type, subject_id)`` — e.g. ``("incident", 42)`` — because
``activity`` sits below incidents, problems and changes in the import ladder and cannot point at them.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models

from keel.lib.text import COMMENT_MAX


class EntryKind(models.TextChoices):
    OPENED = "opened", "Opened"
    STATE_CHANGED = "state_changed", "State changed"
    ASSIGNED = "assigned", "Assigned"
    UPDATED = "updated", "Updated"
    COMMENT = "comment", "Comment"
    WORK_NOTE = "work_note", "Work note"
    ATTACHMENT = "attachment", "Attachment"
    SYSTEM = "system", "System"


class TimelineEntry(models.Model):
    """One visible event in a record's history: a comment, a work note, a state change, an assignment…"""

    subject_type = models.CharField(max_length=32)
    subject_id = models.BigIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    summary = models.CharField(max_length=300)
    body = models.TextField(blank=True, validators=[MaxLengthValidator(COMMENT_MAX)])
    is_public = models.BooleanField(default=True, help_text="Visible to the caller; work notes are not.")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["subject_type", "subject_id", "at"], name="timeline_subject_at")]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=EntryKind.values), name="timeline_kind_valid"),
            models.CheckConstraint(
                condition=~models.Q(kind=EntryKind.WORK_NOTE) | models.Q(is_public=False),
                name="timeline_work_note_private",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type} {self.subject_id}: {self.summary}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.subject_type}/{instance.subject_id}/{filename}"


class Attachment(models.Model):
    """A file attached to a record (a screenshot, a log excerpt)."""

    subject_type = models.CharField(max_length=32)
    subject_id = models.BigIntegerField()
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    is_public = models.BooleanField(default=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="attachment_subject")]

    def __str__(self) -> str:
        return self.filename
