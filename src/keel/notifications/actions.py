"""Writes on notifications: sending (in the transaction of what caused it), reading and
acknowledging. Reading and acknowledging are audited (subject ``notification``) like every change."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.db import transaction

from keel.accounts.models import User
from keel.audit.actions import record_changes, record_changes_of_many
from keel.lib import clock
from keel.lib.errors import Conflict, NotAllowed
from keel.notifications.models import Event, Notification

SUBJECT: Final = "notification"


@dataclass(frozen=True)
class Message:
    """One message to one person; ``key`` names its cause (sent once per cause and person)."""

    recipient_id: int
    key: str
    event: Event
    title: str
    body: str = ""
    link: str = ""
    subject_type: str = ""
    subject_id: int | None = None
    page: bool = False


def send(messages: Sequence[Message], *, at: datetime | None = None) -> None:
    """Store the messages in the caller's transaction; one already sent for its cause is skipped."""
    if not messages:
        return
    now = at or clock.now()
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=message.recipient_id,
                key=message.key[:120],
                event=message.event,
                title=message.title[:200],
                body=message.body[:2000],
                link=message.link[:300],
                subject_type=message.subject_type,
                subject_id=message.subject_id,
                needs_ack=message.page,
                created_at=now,
            )
            for message in messages
        ],
        ignore_conflicts=True,
    )


def mark_read(notification: Notification, *, actor: User) -> Notification:
    """The recipient has seen it (the bell counts it no more); reading twice changes nothing."""
    _check_own(notification, actor)
    if notification.read_at is None:
        with transaction.atomic():
            now = clock.now()
            Notification.objects.filter(pk=notification.pk).update(read_at=now)
            notification.read_at = now
            record_changes(
                subject_type=SUBJECT,
                subject_id=notification.pk,
                actor=actor,
                changes=[("read_at", "", now.isoformat())],
            )
    return notification


def mark_all_read(*, actor: User) -> int:
    """Every unread message of the person is read now; returns how many."""
    with transaction.atomic():
        now = clock.now()
        ids = list(
            Notification.objects.select_for_update()
            .filter(recipient=actor, read_at__isnull=True)
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids).update(read_at=now)
        record_changes_of_many(
            subject_type=SUBJECT, actor=actor, changes=[(pk, "read_at", "", now.isoformat()) for pk in ids], at=now
        )
    return len(ids)


def acknowledge_pages(pages: Sequence[Notification], *, actor: User, at: datetime) -> None:
    """Mark these pages (one incident's, the caller holds its lock) answered by ``actor``, and read."""
    for page in pages:
        if not page.needs_ack:
            raise Conflict("Only a page is acknowledged; this message asks for nothing.", field="notification")
    ids = [page.pk for page in pages if page.acknowledged_at is None]
    Notification.objects.filter(pk__in=ids).update(acknowledged_at=at)
    Notification.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=at)
    record_changes_of_many(
        subject_type=SUBJECT, actor=actor, changes=[(pk, "acknowledged_at", "", at.isoformat()) for pk in ids], at=at
    )


def _check_own(notification: Notification, actor: User) -> None:
    if notification.recipient_id != actor.pk:
        raise NotAllowed("This message is someone else's.")
