"""Putting incidents in a group's queue: assignment and functional escalation."""

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction

from keel.accounts.models import Team, User
from keel.activity.models import EntryKind
from keel.incidents.actions._record import actor_id, add_to_timeline, apply_changes, lock
from keel.incidents.actions._state import transition_state
from keel.incidents.events import (
    IncidentAssigned,
)
from keel.incidents.models import Incident
from keel.incidents.permissions import (
    can_work_incident,
)
from keel.incidents.states import (
    OPEN,
    IncidentState,
)
from keel.lib import clock
from keel.lib.conditional import IfMatch, hold
from keel.lib.errors import Conflict, InvalidInput, MissingField, NotAllowed
from keel.lib.events import publish


def assign_incident(
    incident: Incident, *, actor: User | None, group: Team, assignee: User | None = None, note: str = ""
) -> Incident:
    """Put the incident in a group's queue, optionally with a named assignee (functional escalation).

    A new incident becomes assigned; moving it between groups counts as a reassignment.
    """
    with transaction.atomic():
        lock(incident)
        if actor is not None and not can_work_incident(actor, incident):
            raise NotAllowed(f"You cannot reassign {incident.number}; only its assignment group can.")
        apply_assignment(incident, actor=actor, group=group, assignee=assignee, note=note, now=clock.now())
    return incident


def escalate_incident(
    incident: Incident, *, actor: User | None, note: str, if_match: IfMatch | None = None
) -> Incident:
    """Functional escalation: hand the incident to its group's next tier (``Team.escalates_to``),
    saying why. The reassignment is counted; the timeline says from which tier it came."""
    with transaction.atomic():
        lock(incident)
        if actor is not None and not can_work_incident(actor, incident):
            raise NotAllowed(f"You cannot escalate {incident.number}; only its assignment group can.")
        current = incident.assignment_group
        if current is None:
            raise Conflict(f"{incident.number} is in no group's queue yet; assign it first.", field="assignment_group")
        higher = current.escalates_to
        if higher is None:
            raise Conflict(
                f"{current} has no next tier to escalate to; reassign {incident.number} to a group instead.",
                field="assignment_group",
            )
        if not note.strip():
            raise MissingField("Say why it needs the next tier.", field="note")
        # After the checks of state and fields, as edits and transitions do: a 409 or 422 is not hidden by a 412.
        hold(if_match, incident.entity_tag, record=incident.number)
        apply_assignment(
            incident,
            actor=actor,
            group=higher,
            assignee=None,
            note=note.strip(),
            now=clock.now(),
            summary=f"Escalated from {current} to {higher}",
            data={"escalated_from_id": current.pk},
        )
    return incident


def apply_assignment(
    incident: Incident,
    *,
    actor: User | None,
    group: Team | None,
    assignee: User | None,
    note: str,
    now: datetime,
    summary: str = "",
    data: Mapping[str, object] | None = None,
) -> None:
    """Put the incident in ``group``'s queue (and ``assignee``'s hands). The timeline says
    ``summary`` ("Assigned to Network" when empty), with ``data`` beside the group and assignee."""
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
    changed = apply_changes(incident, fields, actor=actor, now=now)
    if changed:
        holder = f"{group} / {assignee}" if assignee is not None else str(group)
        add_to_timeline(
            incident,
            actor=actor,
            kind=EntryKind.ASSIGNED,
            summary=summary or f"Assigned to {holder}",
            body=note,
            data={"group_id": group.pk, "assignee_id": actor_id(assignee), **(data or {})},
            now=now,
        )
        publish(
            IncidentAssigned(
                incident_id=incident.pk, actor_id=actor_id(actor), group_id=group.pk, assignee_id=actor_id(assignee)
            )
        )
    handed_over = "assignment_group" in changed and incident.state == IncidentState.IN_PROGRESS
    if incident.state == IncidentState.NEW or handed_over:
        transition_state(incident, IncidentState.ASSIGNED, actor=actor, note="", fields={}, now=now)
