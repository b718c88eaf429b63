"""Shared steps of every incident action: lock the row, apply and audit field changes, put an
entry on the timeline, mark activity."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

from keel.accounts.models import User
from keel.activity.actions import add_entry
from keel.activity.models import EntryKind, TimelineEntry
from keel.audit.actions import Change, record_changes
from keel.incidents.models import Incident

SUBJECT: Final = "incident"


def apply_changes(incident: Incident, fields: Mapping[str, object], *, actor: User | None, now: datetime) -> list[str]:
    """Set the fields that differ, audit each (old → new), bump the version, save. Returns what changed."""
    audit: list[tuple[str, object, object]] = []
    for name, value in fields.items():
        old = getattr(incident, name)
        if old == value or (old is None and value == ""):
            continue
        audit.append((name, old, value))
        setattr(incident, name, value)
    if not audit:
        return []
    incident.version += 1
    incident.updated_at = now
    changed = [name for name, _, _ in audit]
    incident.save(update_fields=[*changed, "version", "updated_at"])
    record(incident, audit, actor=actor, now=now)
    return changed


def record(incident: Incident, changes: Sequence[Change], *, actor: User | None, now: datetime) -> None:
    """The incident's audit rows: one per (field, old, new)."""
    record_changes(subject_type=SUBJECT, subject_id=incident.pk, actor=actor, changes=changes, at=now)


def add_to_timeline(
    incident: Incident,
    *,
    actor: User | None,
    kind: EntryKind,
    summary: str,
    now: datetime,
    body: str = "",
    is_public: bool = True,
    data: Mapping[str, object] | None = None,
) -> TimelineEntry:
    """Put an entry on the incident's timeline."""
    return add_entry(
        subject_type=SUBJECT,
        subject_id=incident.pk,
        actor=actor,
        kind=kind,
        summary=summary,
        body=body,
        is_public=is_public,
        data=data,
        at=now,
    )


def touch(incident: Incident, now: datetime) -> None:
    """Mark recent activity (a comment) without a field change: lists sorted by update see it."""
    if incident.updated_at < now:
        incident.updated_at = now
        Incident.objects.filter(pk=incident.pk).update(updated_at=now)


def lock(incident: Incident) -> None:
    incident.refresh_from_db(from_queryset=Incident.objects.select_for_update())


def actor_id(user: User | None) -> int | None:
    return user.pk if user is not None else None
