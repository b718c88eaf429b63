"""What the notifications API reads and answers."""

from typing import Annotated

from ninja import Schema
from pydantic import BaseModel, Field

from keel.lib.api import MAX_INT, Body, UtcDateTime, page_limit, page_offset


class NotificationQuery(Schema):
    unread: bool = Field(False, description="true: only the messages not read yet.")
    limit: int = page_limit()
    offset: int = page_offset()


class NotificationOut(BaseModel):
    id: int
    event: str
    title: str
    body: str
    link: str = Field(description="Where the message points in the console (a path).")
    subject_type: str
    subject_id: int | None
    created_at: UtcDateTime
    read_at: UtcDateTime | None
    is_page: bool = Field(description="A page asks for an acknowledgement: POST /incidents/{number}/acknowledge.")
    acknowledged_at: UtcDateTime | None


class NotificationPageOut(BaseModel):
    items: list[NotificationOut]
    unread: int = Field(description="How many of all your messages are unread.")
    count: int
    count_is_capped: bool
    offset: int
    limit: int


class NotificationsReadIn(Body):
    """Mark messages read: these ids, or every unread one when ids is left out."""

    ids: list[Annotated[int, Field(ge=1, le=MAX_INT)]] | None = Field(None, max_length=500)


class NotificationsReadOut(BaseModel):
    read: int = Field(description="How many messages this marked read.")
    unread: int
