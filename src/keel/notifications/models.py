"""What Keel told whom: one row per message to one person, written in the transaction of what
caused it, so a message is never lost to a crash and never sent twice (``key`` is unique per person).

The console's bell reads these rows; the channels of the notifications issue (e-mail, chat,
webhooks) deliver from the same rows. A *page* is a message that asks for an acknowledgement.
A record is addressed by ``(subject_type, subject_id)``, as on the timeline: notifications sit
below incidents in the import ladder.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Event(models.TextChoices):
    ESCALATED = "escalated", "Escalated"
    PAGED = "paged", "Paged"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # What caused it, e.g. "escalation:12:3:0"; one message per cause and person.
    key = models.CharField(max_length=120)
    event = models.CharField(max_length=16, choices=Event.choices)
    subject_type = models.CharField(max_length=32, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=2000)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    needs_ack = models.BooleanField(default=False, help_text="A page: someone must answer that they are on it.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
            models.Index(fields=["subject_type", "subject_id"], condition=Q(needs_ack=True), name="notification_pages"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_cause"),
            models.CheckConstraint(
                condition=Q(needs_ack=True) | Q(acknowledged_at__isnull=True), name="notification_ack_only_pages"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.title}"
