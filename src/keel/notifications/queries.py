"""Reads of notifications: a person only ever reads their own."""

from django.db.models import QuerySet

from keel.accounts.models import User
from keel.lib.errors import NotFound
from keel.notifications.models import Notification


def inbox(user: User, *, unread: bool = False) -> QuerySet[Notification]:
    """The person's messages, newest first."""
    rows = Notification.objects.filter(recipient=user)
    return rows.filter(read_at__isnull=True) if unread else rows


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def get_notification_for(user: User, pk: int) -> Notification:
    """The person's message ``pk``; someone else's is not found, as if it did not exist."""
    found = Notification.objects.filter(recipient=user, pk=pk).first()
    if found is None:
        raise NotFound(f"You have no message #{pk}.")
    return found


def open_pages(subject_type: str, subject_id: int) -> list[Notification]:
    """The pages about one record nobody has acknowledged yet."""
    return list(
        Notification.objects.filter(
            subject_type=subject_type, subject_id=subject_id, needs_ack=True, acknowledged_at__isnull=True
        )
    )
