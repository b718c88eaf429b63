"""Reads on timelines and attachments."""

from django.db.models import QuerySet

from keel.activity.models import Attachment, TimelineEntry


def timeline_of(subject_type: str, subject_id: int, *, include_private: bool) -> QuerySet[TimelineEntry]:
    entries = TimelineEntry.objects.filter(subject_type=subject_type, subject_id=subject_id).select_related("actor")
    return entries if include_private else entries.filter(is_public=True)


def attachments_of(subject_type: str, subject_id: int, *, include_private: bool) -> QuerySet[Attachment]:
    files = Attachment.objects.filter(subject_type=subject_type, subject_id=subject_id)
    return files if include_private else files.filter(is_public=True)
