"""Every (source, target) pair: the action allows it exactly when the table lists it."""

import itertools

import pytest

from keel.incidents.actions.lifecycle import transition_incident
from keel.incidents.models import Incident
from keel.incidents.states import TRANSITIONS, HoldReason, IncidentState, ResolutionCode, required_for
from keel.lib.errors import Conflict
from tests.incidents.helpers import REACH

PAIRS = [(source, target) for source, target in itertools.product(IncidentState, IncidentState) if source != target]
ALLOWED = [pair for pair in PAIRS if pair[1] in TRANSITIONS[pair[0]]]
FORBIDDEN = [pair for pair in PAIRS if pair[1] not in TRANSITIONS[pair[0]]]


def _attempt(incident, target, *, manager, caller, team):
    actor = caller if target == IncidentState.CLOSED else manager
    return transition_incident(
        incident,
        target,
        actor=actor,
        note="Checked with the caller",
        resolution_code=ResolutionCode.SOLVED_WORKAROUND,
        hold_reason=HoldReason.AWAITING_CALLER,
        assignment_group=team,
    )


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=[f"{s}->{t}" for s, t in ALLOWED])
def test_transition_in_table_is_allowed(source, target, incident_manager, requester, service_desk):
    incident = REACH[source](incident_manager, requester, service_desk)
    assert incident.state == source

    moved = _attempt(incident, target, manager=incident_manager, caller=requester, team=service_desk)

    assert Incident.objects.get(pk=moved.pk).state == target


@pytest.mark.parametrize(("source", "target"), FORBIDDEN, ids=[f"{s}-x->{t}" for s, t in FORBIDDEN])
def test_transition_not_in_table_is_refused_and_changes_nothing(
    source, target, incident_manager, requester, service_desk
):
    incident = REACH[source](incident_manager, requester, service_desk)
    version = incident.version

    with pytest.raises(Conflict, match="cannot move to"):
        _attempt(incident, target, manager=incident_manager, caller=requester, team=service_desk)

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.state, stored.version) == (source, version)


def test_every_state_has_a_row_in_the_table():
    assert set(TRANSITIONS) == set(IncidentState)


def test_final_states_have_no_way_out():
    assert TRANSITIONS[IncidentState.CLOSED] == frozenset()
    assert TRANSITIONS[IncidentState.CANCELLED] == frozenset()


def test_each_move_says_what_it_needs():
    assert required_for(IncidentState.IN_PROGRESS, IncidentState.RESOLVED) == ("resolution_code",)
    assert required_for(IncidentState.ASSIGNED, IncidentState.ON_HOLD) == ("hold_reason",)
    assert required_for(IncidentState.RESOLVED, IncidentState.IN_PROGRESS) == ("note",)
    assert required_for(IncidentState.NEW, IncidentState.IN_PROGRESS) == ()
