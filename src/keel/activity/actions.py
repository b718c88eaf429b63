"""Writes on timelines and attachments. Callers hold the subject's row lock."""

import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from keel.accounts.models import User
from keel.activity.models import Attachment, EntryKind, TimelineEntry
from keel.activity.rows import insert_entries, insert_entry
from keel.lib import clock
from keel.lib.errors import InvalidInput


def add_entry(
    *,
    subject_type: str,
    subject_id: int,
    actor: User | None,
    kind: EntryKind,
    summary: str,
    body: str = "",
    is_public: bool = True,
    data: Mapping[str, object] | None = None,
    at: datetime | None = None,
) -> TimelineEntry:
    return insert_entry(
        TimelineEntry(
            subject_type=subject_type,
            subject_id=subject_id,
            actor=actor,
            kind=kind,
            summary=summary[:300],
            body=body,
            is_public=is_public and kind != EntryKind.WORK_NOTE,
            data=dict(data or {}),
            at=at or clock.now(),
        )
    )


@dataclass(frozen=True)
class SystemEntry:
    """An internal timeline entry by Keel itself."""

    subject_type: str
    subject_id: int
    summary: str
    data: Mapping[str, object]
    at: datetime


def add_system_entries(
    *, subject_type: str, subject_id: int, summaries: Sequence[str], data: Mapping[str, object], at: datetime
) -> None:
    """Several internal entries on one record at one moment, in one statement."""
    add_system_entries_of([SystemEntry(subject_type, subject_id, summary, data, at) for summary in summaries])


def add_system_entries_of(entries: Sequence[SystemEntry]) -> None:
    """Internal entries on any records, in one statement (one JSON parameter)."""
    rows = [
        {
            "subject_type": entry.subject_type,
            "subject_id": entry.subject_id,
            "kind": EntryKind.SYSTEM.value,
            "summary": entry.summary[:300],
            "body": "",
            "is_public": False,
            "data": dict(entry.data),
            "at": entry.at,
        }
        for entry in entries
    ]
    insert_entries(rows)


def store_attachment(
    *, subject_type: str, subject_id: int, actor: User, upload: UploadedFile[bytes], is_public: bool = True
) -> Attachment:
    """Keep an uploaded file if its size and type are allowed; otherwise say what is accepted."""
    name = upload.name or "attachment"
    limit = settings.KEEL_ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise InvalidInput(
            f"{name} is {upload.size or 0:,} bytes; attachments may be at most {limit:,} bytes.", field="file"
        )
    content_type = (mimetypes.guess_type(name)[0] or upload.content_type or "").lower()
    allowed = settings.KEEL_ATTACHMENT_TYPES
    if content_type not in allowed:
        raise InvalidInput(
            f"{name} is of type {content_type or 'unknown'}; allowed types are {', '.join(allowed)}.", field="file"
        )
    return Attachment.objects.create(
        subject_type=subject_type,
        subject_id=subject_id,
        file=upload,
        filename=name[:200],
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
        uploaded_at=clock.now(),
        is_public=is_public,
    )
