"""Reach every lifecycle state through the real actions (never a factory with state=...)."""

from collections.abc import Callable

from keel.accounts.models import Team, User
from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.lifecycle import (
    confirm_resolution,
    put_incident_on_hold,
    resolve_incident,
    transition_incident,
)
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.incidents.states import HoldReason, IncidentState, ResolutionCode


def open_new(actor: User, caller: User, team: Team) -> Incident:
    return open_incident(actor=actor, caller=caller, title="Printer on floor 3 jams")


def open_assigned(actor: User, caller: User, team: Team) -> Incident:
    return assign_incident(open_new(actor, caller, team), actor=actor, group=team)


def open_in_progress(actor: User, caller: User, team: Team) -> Incident:
    return transition_incident(open_assigned(actor, caller, team), IncidentState.IN_PROGRESS, actor=actor)


def open_on_hold(actor: User, caller: User, team: Team) -> Incident:
    return put_incident_on_hold(open_in_progress(actor, caller, team), actor=actor, reason=HoldReason.AWAITING_VENDOR)


def open_resolved(actor: User, caller: User, team: Team) -> Incident:
    return resolve_incident(open_in_progress(actor, caller, team), actor=actor, code=ResolutionCode.SOLVED_PERMANENTLY)


def open_closed(actor: User, caller: User, team: Team) -> Incident:
    return confirm_resolution(open_resolved(actor, caller, team), actor=caller)


def open_cancelled(actor: User, caller: User, team: Team) -> Incident:
    return transition_incident(
        open_new(actor, caller, team), IncidentState.CANCELLED, actor=actor, note="Duplicate call"
    )


REACH: dict[IncidentState, Callable[[User, User, Team], Incident]] = {
    IncidentState.NEW: open_new,
    IncidentState.ASSIGNED: open_assigned,
    IncidentState.IN_PROGRESS: open_in_progress,
    IncidentState.ON_HOLD: open_on_hold,
    IncidentState.RESOLVED: open_resolved,
    IncidentState.CLOSED: open_closed,
    IncidentState.CANCELLED: open_cancelled,
}
