"""Moving incidents through their lifecycle: one entry point for every target state, plus the
named verbs that read like the rules they enforce, and the auto-close job."""

from datetime import timedelta

from django.db import transaction

from keel.accounts.models import Team, User
from keel.incidents.actions._record import lock
from keel.incidents.actions._state import not_in_table_message, transition_state
from keel.incidents.actions.assignment import apply_assignment
from keel.incidents.models import Incident
from keel.incidents.permissions import (
    can_transition_incident,
)
from keel.incidents.states import (
    TRANSITIONS,
    HoldReason,
    IncidentState,
    ResolutionCode,
    required_for,
    verb_for,
)
from keel.lib import clock
from keel.lib.conditional import IfMatch, hold
from keel.lib.errors import Conflict, MissingField, NotAllowed
from keel.lib.text import NOTE_MAX, check_length


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
    if_match: IfMatch | None = None,
) -> Incident:
    """Move the incident to ``target`` if the lifecycle table allows it from its current state.

    Raises NotAllowed when this user may not (checked first, whatever the state), Conflict when
    the incident is already in ``target`` (nothing would be applied: not its note, not its
    resolution) or the table forbids the step, MissingField when the step needs a resolution code,
    a hold reason, an assignment group or a reopen note, StaleVersion when ``if_match`` (the API's
    If-Match) names versions other than the stored one.
    """
    check_length(note, most=NOTE_MAX, field="note")
    check_length(resolution_notes, most=NOTE_MAX, field="resolution_notes")
    with transaction.atomic():
        lock(incident)
        source = IncidentState(incident.state)
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
        # Last: a request refused without its precondition is refused as such (RFC 9110 §13.2.1).
        hold(if_match, incident.entity_tag, record=incident.number)
        now = clock.now()
        if target == IncidentState.ASSIGNED:
            # Back to a queue: whoever held it stops, the group picks it up again.
            group = assignment_group or incident.assignment_group
            assignee = incident.assignee if source == IncidentState.NEW else None
            apply_assignment(incident, actor=actor, group=group, assignee=assignee, note=note, now=now)
            transition_state(incident, target, actor=actor, note=note, fields={}, now=now)
        else:
            transition_state(incident, target, actor=actor, note=note, fields=fields, now=now)
    return incident


def resolve_incident(incident: Incident, *, actor: User | None, code: ResolutionCode, notes: str = "") -> Incident:
    """Mark the incident resolved and ask the caller to confirm (Conflict if it already is)."""
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
            transition_state(incident, IncidentState.CLOSED, actor=None, note=note, fields={}, now=clock.now())
            closed += 1
    return closed


def _check_transition(incident: Incident, source: IncidentState, target: IncidentState, *, actor: User | None) -> None:
    # Who may comes first: someone who may not act learns nothing from the state it is in.
    if actor is not None and not can_transition_incident(actor, incident, target):
        who = "the caller" if target == IncidentState.CLOSED else "its assignment group"
        raise NotAllowed(f"Only {who} can {_verb(source, target)} {incident.number}.", field="to")
    if source == target:
        raise Conflict(
            f"{incident.number} is already {incident.get_state_display().lower()}; nothing was applied.", field="to"
        )
    if target not in TRANSITIONS[source]:
        raise Conflict(not_in_table_message(incident, source, target), field="to")


def _verb(source: IncidentState, target: IncidentState) -> str:
    return verb_for(source, target).lower() if target in TRANSITIONS[source] else f"move to {target.label.lower()}"


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
    given = {"resolution_code": resolution_code, "hold_reason": hold_reason, "note": note.strip()}
    missing = [name for name in required_for(source, target) if not given[name]]
    if missing:
        raise MissingField(_missing_message(source, target, missing[0]), field=missing[0])
    if target == IncidentState.ASSIGNED and assignment_group is None and incident.assignment_group is None:
        raise MissingField(
            "To assign an incident, give assignment_group (a team id or slug).", field="assignment_group"
        )
    fields: dict[str, object] = {}
    if target == IncidentState.RESOLVED:
        fields.update(resolution_code=resolution_code, resolution_notes=resolution_notes or note)
    if target == IncidentState.ON_HOLD:
        fields["hold_reason"] = hold_reason
    if target == IncidentState.IN_PROGRESS and _takes_it_on_start(incident, actor):
        fields["assignee"] = actor
    return fields


def _missing_message(source: IncidentState, target: IncidentState, field: str) -> str:
    if field == "note":
        return "To reopen an incident, say in note why the resolution did not work."
    choices = ResolutionCode.values if field == "resolution_code" else HoldReason.values
    return f"To {verb_for(source, target).lower()} an incident, give {field} (one of {', '.join(choices)})."


def _takes_it_on_start(incident: Incident, actor: User | None) -> bool:
    """Starting work means someone holds it: whoever pressed the button, if they may hold it."""
    if incident.assignee_id is not None or actor is None or not actor.is_staff_member:
        return False
    return incident.assignment_group_id is None or incident.assignment_group_id in actor.team_ids
