"""Keeping an incident's SLA clocks in step with it (DESIGN §4.2): every action that changes what
a clock depends on calls ``sync_sla`` inside its transaction, with the row locked."""

from datetime import datetime
from functools import partial
from typing import Final

from keel.accounts.models import User
from keel.activity.actions import add_system_entries
from keel.audit.models import AuditRecord
from keel.incidents.actions._record import SUBJECT, actor_id
from keel.incidents.models import Incident
from keel.incidents.states import DONE, PAUSES_SLA, IncidentState
from keel.sla.actions.clocks import sync_clocks
from keel.sla.facts import IncidentFacts, Phase, PhaseChange

# The audited fields a clock's phase follows.
PHASE_FIELDS: Final = ("state", "hold_reason")


def sync_sla(
    incident: Incident, *, actor: User | None, now: datetime, opening: bool = False, rematch: bool = False
) -> None:
    """Attach, pause, resume, stop, cancel or retarget the clocks; each change of target goes on the timeline."""
    notes = sync_clocks(
        facts_of(incident, matching=opening or rematch),
        at=now,
        actor_id=actor_id(actor),
        opening=opening,
        rematch=rematch,
    )
    add_system_entries(subject_type=SUBJECT, subject_id=incident.pk, summaries=notes, data={"sla": True}, at=now)


def facts_of(incident: Incident, *, matching: bool = True) -> IncidentFacts:
    """The incident as its clocks see it; the caller (for the VIP flag) is read only when a policy is matched."""
    return IncidentFacts(
        incident_id=incident.pk,
        opened_at=incident.opened_at,
        priority=incident.priority,
        service_id=incident.service_id,
        category_id=incident.category_id,
        caller_vip=incident.caller.is_vip if matching else None,
        group_id=incident.assignment_group_id,
        phase=_phase(IncidentState(incident.state)),
        hold_reason=incident.hold_reason,
        responded_at=incident.first_response_at,
        phases=partial(phase_history, incident),
    )


def phase_history(incident: Incident) -> list[PhaseChange]:
    """The incident's phases since it opened, from its audit rows of state and hold reason (one
    read): what a clock attached late must lay its earlier pauses from (SLA-SEMANTICS §1).

    Moves at one instant (assigned and started at once) collapse to the last: nothing is counted
    in between. The state it opened in is the old value of its first state change.
    """
    rows = list(
        AuditRecord.objects.filter(subject_type=SUBJECT, subject_id=incident.pk, field__in=PHASE_FIELDS)
        .order_by("at", "pk")
        .values_list("at", "field", "old_value", "new_value")
    )
    state = next((old for _, field, old, _ in rows if field == "state"), incident.state)
    reason = ""
    phases: list[PhaseChange] = [(incident.opened_at, _phase(IncidentState(state)), reason)]
    for at, field, _, new in rows:
        if field == "state":
            state = new
        else:
            reason = new
        phase = _phase(IncidentState(state))
        entry = (at, phase, reason if phase == Phase.ON_HOLD else "")
        if at == phases[-1][0]:
            phases[-1] = entry
        else:
            phases.append(entry)
    return phases


def _phase(state: IncidentState) -> Phase:
    if state == IncidentState.CANCELLED:
        return Phase.CANCELLED
    if state in DONE:
        return Phase.DONE
    if state in PAUSES_SLA:
        return Phase.ON_HOLD
    return Phase.OPEN
