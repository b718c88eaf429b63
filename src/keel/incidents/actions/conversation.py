"""Talking on an incident: public comments, internal work notes, attachments. Each is audited
(field ``comment``, ``work_note`` or ``attachment``, the new entry or file as the new value)."""

from collections.abc import Mapping

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from keel.accounts.models import User
from keel.activity.actions import store_attachment
from keel.activity.models import Attachment, EntryKind, TimelineEntry
from keel.incidents.actions._record import SUBJECT, add_to_timeline, apply_changes, lock, record, touch
from keel.incidents.actions._sla import sync_sla
from keel.incidents.actions._state import transition_state
from keel.incidents.events import IncidentCommented
from keel.incidents.models import Incident
from keel.incidents.permissions import can_comment_on_incident
from keel.incidents.states import HoldReason, IncidentState
from keel.lib import clock
from keel.lib.conditional import IfMatch, hold
from keel.lib.errors import InvalidInput, NotAllowed
from keel.lib.events import publish
from keel.lib.text import COMMENT_MAX, check_length


def add_comment(
    incident: Incident, *, actor: User, body: str, public: bool, if_match: IfMatch | None = None
) -> TimelineEntry:
    """Add a public comment (the caller sees it) or an internal work note.

    A caller answering an incident that waits for them puts it back in progress. ``if_match``:
    only on these versions of the incident (the API's If-Match).
    """
    body = body.strip()
    if not body:
        raise InvalidInput("Write something before sending the comment.", field="body")
    check_length(body, most=COMMENT_MAX, field="body")
    if not can_comment_on_incident(actor, incident, public=public):
        raise NotAllowed("Only IT staff can write internal work notes." if not public else "You cannot comment here.")
    with transaction.atomic():
        lock(incident)
        hold(if_match, incident.entity_tag, record=incident.number)
        now = clock.now()
        kind = EntryKind.COMMENT if public else EntryKind.WORK_NOTE
        entry = add_to_timeline(
            incident, actor=actor, kind=kind, summary=f"{kind.label} by {actor}", body=body, is_public=public, now=now
        )
        record(incident, [(kind.value, "", f"{entry.summary} (#{entry.pk})")], actor=actor, now=now)
        if public and actor.is_staff_member and actor.pk != incident.caller_id and incident.first_response_at is None:
            apply_changes(incident, {"first_response_at": now}, actor=actor, now=now)
            sync_sla(incident, actor=actor, now=now)
        touch(incident, now)
        if public and actor.pk == incident.caller_id and incident.hold_reason == HoldReason.AWAITING_CALLER:
            transition_state(
                incident, IncidentState.IN_PROGRESS, actor=None, note="The caller replied.", fields={}, now=now
            )
        publish(IncidentCommented(incident_id=incident.pk, actor_id=actor.pk, entry_id=entry.pk, is_public=public))
    return entry


def attach_file(
    incident: Incident,
    *,
    actor: User,
    upload: UploadedFile[bytes],
    public: bool = True,
    if_match: IfMatch | None = None,
) -> Attachment:
    """Attach a file within the size and type limits; the timeline records it. ``if_match``: only
    on these versions of the incident (the API's If-Match)."""
    if not can_comment_on_incident(actor, incident, public=public):
        raise NotAllowed("You cannot attach files to this incident.")
    with transaction.atomic():
        lock(incident)
        hold(if_match, incident.entity_tag, record=incident.number)
        now = clock.now()
        attachment = store_attachment(
            subject_type=SUBJECT, subject_id=incident.pk, actor=actor, upload=upload, is_public=public
        )
        add_to_timeline(
            incident,
            actor=actor,
            kind=EntryKind.ATTACHMENT,
            summary=f"Attached {attachment.filename} ({attachment.size:,} bytes)",
            is_public=public,
            data={"attachment_id": attachment.pk},
            now=now,
        )
        record(incident, [("attachment", "", attachment)], actor=actor, now=now)
    return attachment


def add_system_note(
    incident: Incident, *, summary: str, body: str = "", data: Mapping[str, object] | None = None
) -> TimelineEntry:
    """Put something Keel itself observed (alerts joining, alerts clearing) on the timeline, for staff."""
    with transaction.atomic():
        lock(incident)
        now = clock.now()
        entry = add_to_timeline(
            incident, actor=None, kind=EntryKind.SYSTEM, summary=summary, body=body, is_public=False, data=data, now=now
        )
        touch(incident, now)
    return entry
