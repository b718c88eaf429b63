"""Every write on an incident: one function per business verb, called by the UI, the API, the CLI,
the demo loader and the scheduler alike.

Each action locks the incident row, does nothing when nothing changes, checks the permission
predicates, writes one timeline entry plus an audit row per changed field, bumps ``version`` and
publishes its event after commit. ``actor=None`` means Keel itself (the auto-close job).
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from keel.accounts.models import Team, User
from keel.activity.actions import add_entry, record_changes, store_attachment
from keel.activity.models import Attachment, EntryKind, TimelineEntry
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.events import (
    IncidentAssigned,
    IncidentCommented,
    IncidentOpened,
    IncidentStateChanged,
    IncidentUpdated,
)
from keel.incidents.models import Category, Incident
from keel.incidents.permissions import (
    can_comment_on_incident,
    can_log_incident_for_others,
    can_report_incident,
    can_transition_incident,
    can_work_incident,
)
from keel.incidents.queries import priority_for
from keel.incidents.states import (
    DONE,
    FINAL,
    OPEN,
    REQUIRED_FOR,
    TRANSITIONS,
    Channel,
    HoldReason,
    IncidentState,
    Level,
    ResolutionCode,
    verb_for,
)
from keel.lib import clock
from keel.lib.errors import Conflict, InvalidInput, MissingField, NotAllowed, StaleVersion
from keel.lib.events import publish

SUBJECT: Final = "incident"

# Fields an agent may change with update_incident; state and assignment have their own verbs.
EDITABLE_FIELDS: Final = frozenset(
    {
        "title",
        "description",
        "caller",
        "channel",
        "category",
        "subcategory",
        "service",
        "ci",
        "impact",
        "urgency",
        "parent",
    }
)


def open_incident(
    *,
    actor: User | None,
    caller: User,
    title: str,
    description: str = "",
    channel: Channel = Channel.PORTAL,
    category: Category | None = None,
    subcategory: Category | None = None,
    service: Service | None = None,
    ci: ConfigurationItem | None = None,
    impact: Level = Level.LOW,
    urgency: Level = Level.LOW,
    parent: Incident | None = None,
    assignment_group: Team | None = None,
    assignee: User | None = None,
) -> Incident:
    """Log a new incident with its priority computed from impact × urgency.

    A requester may only report incidents they are the caller of, and cannot assign them.
    """
    if actor is not None:
        _check_may_open(actor, caller=caller, assigning=assignment_group is not None or assignee is not None)
    title = _clean_title(title)
    _check_category_pair(category, subcategory)
    if assignee is not None and assignment_group is None:
        raise InvalidInput("Give the assignee's assignment group too.", field="assignment_group")
    now = clock.now()
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title,
            description=description,
            caller=caller,
            opened_by=actor or caller,
            channel=channel,
            category=category,
            subcategory=subcategory,
            service=service,
            ci=ci,
            impact=impact,
            urgency=urgency,
            priority=priority_for(Level(impact), Level(urgency)),
            parent=parent,
            opened_at=now,
            updated_at=now,
        )
        add_entry(
            subject_type=SUBJECT,
            subject_id=incident.pk,
            actor=actor,
            kind=EntryKind.OPENED,
            summary=f"Opened by {actor or caller} via {Channel(channel).label} as P{incident.priority}",
            body=description,
            at=now,
        )
        publish(IncidentOpened(incident_id=incident.pk, actor_id=_id(actor)))
        if assignment_group is not None:
            _assign(incident, actor=actor, group=assignment_group, assignee=assignee, note="", now=now)
    return incident


def update_incident(
    incident: Incident,
    *,
    actor: User | None,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> Incident:
    """Change editable fields; a new impact or urgency recomputes the priority.

    ``expected_version`` (the API's If-Match) must equal the stored version, else StaleVersion.
    Changing nothing is a no-op. Assignment changes go through the same rule as assign_incident.
    """
    unknown = set(changes) - EDITABLE_FIELDS - {"assignment_group", "assignee"}
    if unknown:
        raise InvalidInput(f"These fields cannot be edited: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    with transaction.atomic():
        _lock(incident)
        if expected_version is not None and expected_version != incident.version:
            raise StaleVersion(
                f"{incident.number} changed since you read it (you have version {expected_version}, "
                f"it is now {incident.version}); fetch it again and re-apply your change."
            )
        if actor is not None and not can_work_incident(actor, incident):
            raise NotAllowed(f"You cannot edit {incident.number}; only its assignment group can.")
        if incident.state in FINAL:
            raise Conflict(f"{incident.number} is {incident.get_state_display().lower()}; it can no longer be edited.")
        fields = {name: value for name, value in changes.items() if name in EDITABLE_FIELDS}
        if "title" in fields:
            fields["title"] = _clean_title(fields["title"])
        if "parent" in fields and fields["parent"] is not None and fields["parent"].pk == incident.pk:
            raise InvalidInput("An incident cannot be its own parent.", field="parent")
        _check_category_pair(fields.get("category", incident.category), fields.get("subcategory", incident.subcategory))
        if "impact" in fields or "urgency" in fields:
            impact = Level(fields.get("impact", incident.impact))
            urgency = Level(fields.get("urgency", incident.urgency))
            fields["priority"] = priority_for(impact, urgency)
        now = clock.now()
        changed = _apply(incident, fields, actor=actor, now=now)
        if changed:
            add_entry(
                subject_type=SUBJECT,
                subject_id=incident.pk,
                actor=actor,
                kind=EntryKind.UPDATED,
                summary=_describe_changes(changed),
                data={"fields": list(changed)},
                at=now,
            )
            publish(IncidentUpdated(incident_id=incident.pk, actor_id=_id(actor), fields=tuple(changed)))
        if "assignment_group" in changes or "assignee" in changes:
            _assign(
                incident,
                actor=actor,
                group=changes.get("assignment_group", incident.assignment_group),
                assignee=changes.get("assignee", incident.assignee),
                note="",
                now=now,
            )
    return incident


def assign_incident(
    incident: Incident, *, actor: User | None, group: Team, assignee: User | None = None, note: str = ""
) -> Incident:
    """Put the incident in a group's queue, optionally with a named assignee (functional escalation).

    A new incident becomes assigned; moving it between groups counts as a reassignment.
    """
    with transaction.atomic():
        _lock(incident)
        if actor is not None and not can_work_incident(actor, incident):
            raise NotAllowed(f"You cannot reassign {incident.number}; only its assignment group can.")
        _assign(incident, actor=actor, group=group, assignee=assignee, note=note, now=clock.now())
    return incident


def transition_incident(
    incident: Incident,
    target: IncidentState,
    *,
    actor: User | None,
    note: str = "",
    resolution_code: ResolutionCode | None = None,
    resolution_notes: str = "",
    hold_reason: HoldReason | None = None,
    assignment_group: Team | None = None,
) -> Incident:
    """Move the incident to ``target`` if the lifecycle table allows it from its current state.

    Raises Conflict when the table forbids it, NotAllowed when this user may not, MissingField
    when the step needs a resolution code, a hold reason, an assignment group or a reopen note.
    """
    with transaction.atomic():
        _lock(incident)
        source = IncidentState(incident.state)
        if source == target:
            return incident
        _check_transition(incident, source, target, actor=actor)
        fields = _transition_fields(
            incident,
            source,
            target,
            actor=actor,
            note=note,
            resolution_code=resolution_code,
            resolution_notes=resolution_notes,
            hold_reason=hold_reason,
            assignment_group=assignment_group,
        )
        now = clock.now()
        if target == IncidentState.ASSIGNED:
            # Back to a queue: whoever held it stops, the group picks it up again.
            group = assignment_group or incident.assignment_group
            assignee = incident.assignee if source == IncidentState.NEW else None
            _assign(incident, actor=actor, group=group, assignee=assignee, note=note, now=now)
            _transition(incident, target, actor=actor, note=note, fields={}, now=now)
        else:
            _transition(incident, target, actor=actor, note=note, fields=fields, now=now)
    return incident


def resolve_incident(incident: Incident, *, actor: User | None, code: ResolutionCode, notes: str = "") -> Incident:
    """Mark the incident resolved and ask the caller to confirm. Resolving a resolved incident is a no-op."""
    return transition_incident(
        incident, IncidentState.RESOLVED, actor=actor, resolution_code=code, resolution_notes=notes, note=notes
    )


def confirm_resolution(incident: Incident, *, actor: User, note: str = "") -> Incident:
    """The caller confirms the fix worked: the incident closes."""
    return transition_incident(incident, IncidentState.CLOSED, actor=actor, note=note)


def reopen_incident(incident: Incident, *, actor: User, note: str) -> Incident:
    """The fix did not hold (or the caller rejects it): back to in progress."""
    return transition_incident(incident, IncidentState.IN_PROGRESS, actor=actor, note=note)


def put_incident_on_hold(incident: Incident, *, actor: User | None, reason: HoldReason, note: str = "") -> Incident:
    return transition_incident(incident, IncidentState.ON_HOLD, actor=actor, hold_reason=reason, note=note)


def add_comment(incident: Incident, *, actor: User, body: str, public: bool) -> TimelineEntry:
    """Add a public comment (the caller sees it) or an internal work note.

    A caller answering an incident that waits for them puts it back in progress.
    """
    body = body.strip()
    if not body:
        raise InvalidInput("Write something before sending the comment.", field="body")
    if not can_comment_on_incident(actor, incident, public=public):
        raise NotAllowed("Only IT staff can write internal work notes." if not public else "You cannot comment here.")
    with transaction.atomic():
        _lock(incident)
        now = clock.now()
        entry = add_entry(
            subject_type=SUBJECT,
            subject_id=incident.pk,
            actor=actor,
            kind=EntryKind.COMMENT if public else EntryKind.WORK_NOTE,
            summary=f"{'Comment' if public else 'Work note'} by {actor}",
            body=body,
            is_public=public,
            at=now,
        )
        if public and actor.is_staff_member and actor.pk != incident.caller_id and incident.first_response_at is None:
            _apply(incident, {"first_response_at": now}, actor=actor, now=now)
        _touch(incident, now)
        if public and actor.pk == incident.caller_id and incident.hold_reason == HoldReason.AWAITING_CALLER:
            _transition(incident, IncidentState.IN_PROGRESS, actor=None, note="The caller replied.", fields={}, now=now)
        publish(IncidentCommented(incident_id=incident.pk, actor_id=actor.pk, entry_id=entry.pk, is_public=public))
    return entry


def attach_file(incident: Incident, *, actor: User, upload: UploadedFile[bytes], public: bool = True) -> Attachment:
    """Attach a file within the size and type limits; the timeline records it."""
    if not can_comment_on_incident(actor, incident, public=public):
        raise NotAllowed("You cannot attach files to this incident.")
    with transaction.atomic():
        attachment = store_attachment(
            subject_type=SUBJECT, subject_id=incident.pk, actor=actor, upload=upload, is_public=public
        )
        add_entry(
            subject_type=SUBJECT,
            subject_id=incident.pk,
            actor=actor,
            kind=EntryKind.ATTACHMENT,
            summary=f"Attached {attachment.filename} ({attachment.size:,} bytes)",
            is_public=public,
            data={"attachment_id": attachment.pk},
        )
    return attachment


def add_watcher(incident: Incident, *, actor: User | None, watcher: User) -> None:
    """Let someone besides the caller follow the incident (they see it in the portal and API)."""
    if actor is not None and not can_work_incident(actor, incident):
        raise NotAllowed(f"You cannot change who watches {incident.number}.")
    with transaction.atomic():
        _lock(incident)
        if incident.watchers.filter(pk=watcher.pk).exists():
            return
        incident.watchers.add(watcher)
        now = clock.now()
        record_changes(
            subject_type=SUBJECT, subject_id=incident.pk, actor=actor, changes=[("watchers", "", f"+{watcher}")], at=now
        )
        add_entry(
            subject_type=SUBJECT,
            subject_id=incident.pk,
            actor=actor,
            kind=EntryKind.UPDATED,
            summary=f"{watcher} now follows this incident",
            is_public=False,
            at=now,
        )


def close_stale_resolved_incidents(*, older_than: timedelta, batch: int = 500) -> int:
    """Close incidents resolved longer ago than ``older_than`` whose caller never answered."""
    cutoff = clock.now() - older_than
    due = list(
        Incident.objects.filter(state=IncidentState.RESOLVED, resolved_at__lt=cutoff).values_list("pk", flat=True)[
            :batch
        ]
    )
    closed = 0
    for pk in due:
        with transaction.atomic():
            incident = Incident.objects.select_for_update().get(pk=pk)
            if (
                incident.state != IncidentState.RESOLVED
                or incident.resolved_at is None
                or incident.resolved_at >= cutoff
            ):
                continue
            note = f"Closed automatically: no answer from the caller within {older_than.days} day(s) of the resolution."
            _transition(incident, IncidentState.CLOSED, actor=None, note=note, fields={}, now=clock.now())
            closed += 1
    return closed


# --- the one place that assigns Incident.state ----------------------------------------------


def _transition(
    incident: Incident,
    target: IncidentState,
    *,
    actor: User | None,
    note: str,
    fields: Mapping[str, object],
    now: datetime,
) -> None:
    """Assign the state (the row is locked by the caller), stamp its times, record and publish it."""
    source = IncidentState(incident.state)
    if source == target:
        return
    if target not in TRANSITIONS[source]:
        raise Conflict(_not_in_table_message(incident, source, target), field="to")
    stamped: dict[str, object] = {**fields, "state": target}
    if source == IncidentState.ON_HOLD:
        stamped.setdefault("hold_reason", "")
    if target in DONE and source not in DONE:
        stamped["resolved_at"] = now
        stamped["resolved_by"] = actor
        stamped["first_contact_resolution"] = _is_first_contact_resolution(incident, actor)
    if target == IncidentState.CLOSED:
        stamped["closed_at"] = now
    if source == IncidentState.RESOLVED and target in OPEN:
        stamped.update(resolved_at=None, resolved_by=None, resolution_code="", resolution_notes="")
        stamped.update(reopen_count=incident.reopen_count + 1, first_contact_resolution=False)
    if (
        source == IncidentState.NEW
        and incident.first_response_at is None
        and actor is not None
        and actor.is_staff_member
    ):
        stamped["first_response_at"] = now
    _apply(incident, stamped, actor=actor, now=now)
    detail = f" ({ResolutionCode(incident.resolution_code).label})" if target == IncidentState.RESOLVED else ""
    if target == IncidentState.ON_HOLD:
        detail = f" ({HoldReason(incident.hold_reason).label.lower()})"
    add_entry(
        subject_type=SUBJECT,
        subject_id=incident.pk,
        actor=actor,
        kind=EntryKind.STATE_CHANGED,
        summary=f"{verb_for(source, target) if actor else 'Automatically'}: {source.label} → {target.label}{detail}",
        body=note,
        data={"from": source.value, "to": target.value},
        at=now,
    )
    publish(
        IncidentStateChanged(incident_id=incident.pk, actor_id=_id(actor), source=source.value, target=target.value)
    )


def _assign(
    incident: Incident, *, actor: User | None, group: Team | None, assignee: User | None, note: str, now: datetime
) -> None:
    if incident.state not in OPEN:
        state = incident.get_state_display().lower()
        raise Conflict(
            f"{incident.number} is {state}; only open incidents can be (re)assigned.", field="assignment_group"
        )
    if group is None:
        if assignee is not None or incident.assignment_group_id is not None:
            raise MissingField(
                "Give an assignment group; an incident cannot leave every queue.", field="assignment_group"
            )
        return
    if assignee is not None and group.pk not in assignee.team_ids:
        raise InvalidInput(f"{assignee} is not a member of {group}; pick someone from that group.", field="assignee")
    fields: dict[str, object] = {"assignment_group": group, "assignee": assignee}
    if incident.assignment_group_id is not None and incident.assignment_group_id != group.pk:
        fields["reassignment_count"] = incident.reassignment_count + 1
    changed = _apply(incident, fields, actor=actor, now=now)
    if changed:
        holder = f"{group} / {assignee}" if assignee is not None else str(group)
        add_entry(
            subject_type=SUBJECT,
            subject_id=incident.pk,
            actor=actor,
            kind=EntryKind.ASSIGNED,
            summary=f"Assigned to {holder}",
            body=note,
            data={"group_id": group.pk, "assignee_id": _id(assignee)},
            at=now,
        )
        publish(
            IncidentAssigned(incident_id=incident.pk, actor_id=_id(actor), group_id=group.pk, assignee_id=_id(assignee))
        )
    handed_over = "assignment_group" in changed and incident.state == IncidentState.IN_PROGRESS
    if incident.state == IncidentState.NEW or handed_over:
        _transition(incident, IncidentState.ASSIGNED, actor=actor, note="", fields={}, now=now)


def _apply(incident: Incident, fields: Mapping[str, object], *, actor: User | None, now: datetime) -> list[str]:
    """Set the fields that differ, audit each (old → new), bump the version, save. Returns what changed."""
    audit: list[tuple[str, object, object]] = []
    for name, value in fields.items():
        old = getattr(incident, name)
        if old == value or (old is None and value == ""):
            continue
        audit.append((name, _display(old), _display(value)))
        setattr(incident, name, value)
    if not audit:
        return []
    incident.version += 1
    incident.updated_at = now
    changed = [name for name, _, _ in audit]
    incident.save(update_fields=[*changed, "version", "updated_at"])
    record_changes(subject_type=SUBJECT, subject_id=incident.pk, actor=actor, changes=audit, at=now)
    return changed


# --- checks and helpers ---------------------------------------------------------------------


def _touch(incident: Incident, now: datetime) -> None:
    """Mark recent activity (a comment) without a field change: lists sorted by update see it."""
    if incident.updated_at < now:
        incident.updated_at = now
        Incident.objects.filter(pk=incident.pk).update(updated_at=now)


def _lock(incident: Incident) -> None:
    incident.refresh_from_db(from_queryset=Incident.objects.select_for_update())


def _check_may_open(actor: User, *, caller: User, assigning: bool) -> None:
    if can_log_incident_for_others(actor):
        return
    if not can_report_incident(actor):
        raise NotAllowed("Your account cannot report incidents; ask the service desk.")
    if caller.pk != actor.pk:
        raise NotAllowed("You can only report incidents for yourself; leave the caller empty.", field="caller")
    if assigning:
        raise NotAllowed("The service desk assigns incidents; leave the assignment empty.", field="assignment_group")


def _check_transition(incident: Incident, source: IncidentState, target: IncidentState, *, actor: User | None) -> None:
    if target not in TRANSITIONS[source]:
        raise Conflict(_not_in_table_message(incident, source, target), field="to")
    if actor is not None and not can_transition_incident(actor, incident, target):
        who = "the caller" if target == IncidentState.CLOSED else "its assignment group"
        raise NotAllowed(f"Only {who} can {verb_for(source, target).lower()} {incident.number}.", field="to")


def _transition_fields(
    incident: Incident,
    source: IncidentState,
    target: IncidentState,
    *,
    actor: User | None,
    note: str,
    resolution_code: ResolutionCode | None,
    resolution_notes: str,
    hold_reason: HoldReason | None,
    assignment_group: Team | None,
) -> dict[str, object]:
    given = {"resolution_code": resolution_code, "hold_reason": hold_reason}
    missing = [name for name in REQUIRED_FOR.get(target, ()) if not given.get(name)]
    if missing:
        choices = ResolutionCode.values if missing[0] == "resolution_code" else HoldReason.values
        raise MissingField(
            f"To {verb_for(source, target).lower()} an incident, give {missing[0]} (one of {', '.join(choices)}).",
            field=missing[0],
        )
    if target == IncidentState.ASSIGNED and assignment_group is None and incident.assignment_group is None:
        raise MissingField(
            "To assign an incident, give assignment_group (a team id or slug).", field="assignment_group"
        )
    if source == IncidentState.RESOLVED and target in OPEN and not note.strip():
        raise MissingField("To reopen an incident, say in note why the resolution did not work.", field="note")
    fields: dict[str, object] = {}
    if target == IncidentState.RESOLVED:
        fields.update(resolution_code=resolution_code, resolution_notes=resolution_notes or note)
    if target == IncidentState.ON_HOLD:
        fields["hold_reason"] = hold_reason
    if target == IncidentState.IN_PROGRESS and _takes_it_on_start(incident, actor):
        fields["assignee"] = actor
    return fields


def _takes_it_on_start(incident: Incident, actor: User | None) -> bool:
    """Starting work means someone holds it: whoever pressed the button, if they may hold it."""
    if incident.assignee_id is not None or actor is None or not actor.is_staff_member:
        return False
    return incident.assignment_group_id is None or incident.assignment_group_id in actor.team_ids


def _not_in_table_message(incident: Incident, source: IncidentState, target: IncidentState) -> str:
    allowed = ", ".join(sorted(state.value for state in TRANSITIONS[source])) or "none: it is final"
    state = source.label.lower()
    return f"{incident.number} is {state} and cannot move to {target.value}; allowed next states: {allowed}."


def _is_first_contact_resolution(incident: Incident, actor: User | None) -> bool:
    return (
        actor is not None
        and actor.pk == incident.opened_by_id
        and incident.reassignment_count == 0
        and actor.is_staff_member
    )


def _check_category_pair(category: Category | None, subcategory: Category | None) -> None:
    if category is not None and category.parent_id is not None:
        raise InvalidInput(
            f"{category} is a subcategory; give it as subcategory and its parent as category.", field="category"
        )
    if subcategory is None:
        return
    if category is None or subcategory.parent_id != category.pk:
        raise InvalidInput(f"Subcategory {subcategory} does not belong to category {category}.", field="subcategory")


def _clean_title(title: str) -> str:
    title = " ".join(str(title).split())
    if not title:
        raise InvalidInput("Give the incident a short title that says what is wrong.", field="title")
    if len(title) > 200:
        raise InvalidInput(f"Keep the title under 200 characters (it has {len(title)}).", field="title")
    return title


def _describe_changes(changed: list[str]) -> str:
    return "Changed " + ", ".join(name.replace("_", " ") for name in changed)


def _display(value: object) -> object:
    if hasattr(value, "pk"):
        return f"{value} (#{value.pk})"
    return value


def _id(user: User | None) -> int | None:
    return user.pk if user is not None else None
