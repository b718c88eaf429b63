"""The one place that assigns ``Incident.state`` (DESIGN §4.2): ``transition_state``.

Every lifecycle move — a button, an API call, an assignment of a new incident, the auto-close
job — ends here, after its caller has locked the row."""

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from keel.accounts.models import User
from keel.activity.models import EntryKind
from keel.incidents.actions._record import actor_id, add_to_timeline, apply_changes
from keel.incidents.actions._sla import sync_sla
from keel.incidents.events import IncidentStateChanged
from keel.incidents.models import Incident
from keel.incidents.states import (
    DONE,
    OPEN,
    TRANSITIONS,
    HoldReason,
    IncidentState,
    ResolutionCode,
    verb_for,
)
from keel.lib.errors import Conflict
from keel.lib.events import publish

RESPONDS: Final = frozenset({IncidentState.IN_PROGRESS, IncidentState.RESOLVED})


def transition_state(
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
        raise Conflict(not_in_table_message(incident, source, target), field="to")
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
    if target in RESPONDS and incident.first_response_at is None and actor is not None and actor.is_staff_member:
        # The first response (SLA-SEMANTICS §2): a human agent starts work or resolves. Assigning
        # to a queue tells the caller nothing; public comments count too (conversation.add_comment).
        stamped["first_response_at"] = now
    apply_changes(incident, stamped, actor=actor, now=now)
    detail = f" ({ResolutionCode(incident.resolution_code).label})" if target == IncidentState.RESOLVED else ""
    if target == IncidentState.ON_HOLD:
        detail = f" ({HoldReason(incident.hold_reason).label.lower()})"
    add_to_timeline(
        incident,
        actor=actor,
        kind=EntryKind.STATE_CHANGED,
        summary=f"{verb_for(source, target) if actor else 'Automatically'}: {source.label} → {target.label}{detail}",
        body=note,
        data={"from": source.value, "to": target.value},
        now=now,
    )
    sync_sla(incident, actor=actor, now=now)
    publish(
        IncidentStateChanged(
            incident_id=incident.pk, actor_id=actor_id(actor), source=source.value, target=target.value
        )
    )


def not_in_table_message(incident: Incident, source: IncidentState, target: IncidentState) -> str:
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
