"""Writes on timelines, audit records and attachments. Callers hold the subject's row lock."""

import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from keel.accounts.models import User
from keel.activity.models import Attachment, AuditRecord, EntryKind, TimelineEntry
from keel.lib import clock
from keel.lib.errors import InvalidInput
from keel.lib.sql import columns_of_fields, insert_instance, insert_rows


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
    # Every action writes one: inserted by hand (lib.sql.insert_instance), not save().
    return insert_instance(
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
    insert_rows(TimelineEntry._meta.db_table, _SYSTEM_COLUMNS, rows)


_SYSTEM_COLUMNS: Final = columns_of_fields(
    TimelineEntry, ["subject_type", "subject_id", "kind", "summary", "body", "is_public", "data", "at"]
)


def record_changes(
    *,
    subject_type: str,
    subject_id: int,
    actor: User | None,
    changes: Sequence[tuple[str, object, object]],
    at: datetime | None = None,
) -> None:
    """Append one audit row per (field, old, new) in a single INSERT."""
    stamp = at or clock.now()
    AuditRecord.objects.bulk_create(
        AuditRecord(
            subject_type=subject_type,
            subject_id=subject_id,
            actor=actor,
            field=field,
            old_value=_as_text(old),
            new_value=_as_text(new),
            at=stamp,
        )
        for field, old, new in changes
    )


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


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
