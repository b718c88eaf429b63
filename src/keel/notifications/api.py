"""REST API v1 for a person's own notifications: read the inbox, mark messages read."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from keel.accounts.api import user_of
from keel.lib.paging import capped_page
from keel.notifications import actions
from keel.notifications.models import Notification
from keel.notifications.queries import get_notification_for, inbox, unread_count
from keel.notifications.schemas import NotificationPageOut, NotificationQuery, NotificationsReadIn, NotificationsReadOut

router = Router(tags=["notifications"])


def notification_json(row: Notification) -> dict[str, Any]:
    return {
        **{name: getattr(row, name) for name in ("id", "event", "title", "body", "link", "subject_type", "subject_id")},
        **{name: getattr(row, name) for name in ("created_at", "read_at", "acknowledged_at")},
        "is_page": row.needs_ack,
    }


@router.get("/notifications", response=NotificationPageOut)
def notifications(request: HttpRequest, query: Query[NotificationQuery]) -> dict[str, Any]:
    """Your messages, newest first, and how many are unread."""
    user = user_of(request)
    page = capped_page(inbox(user, unread=query.unread), offset=query.offset, limit=query.limit)
    return {**page.answer(notification_json), "unread": unread_count(user)}


@router.post("/notifications/read", response=NotificationsReadOut)
def read_notifications(request: HttpRequest, payload: NotificationsReadIn) -> dict[str, int]:
    """Mark your messages read: the ids given (someone else's is 404), or every unread one."""
    user = user_of(request)
    if payload.ids is None:
        read = actions.mark_all_read(actor=user)
    else:
        unread = [
            row for row in (get_notification_for(user, pk) for pk in dict.fromkeys(payload.ids)) if row.read_at is None
        ]
        for row in unread:
            actions.mark_read(row, actor=user)
        read = len(unread)
    return {"read": read, "unread": unread_count(user)}
