"""sla sits below incidents and cannot import its vocabulary: these keep the copies in step."""

from typing import get_args

from keel.incidents.states import PAUSES_SLA, HoldReason, IncidentState
from keel.sla.actions.setup import DEFAULT_PAUSING_REASONS, HOLD_REASONS
from keel.sla.schemas import HoldReasonName


def test_policies_know_exactly_the_hold_reasons_of_incidents():
    assert set(HOLD_REASONS) == set(HoldReason.values)
    assert set(get_args(HoldReasonName)) == set(HoldReason.values)
    assert set(DEFAULT_PAUSING_REASONS) <= set(HoldReason.values)


def test_only_on_hold_pauses_sla_clocks():
    assert frozenset({IncidentState.ON_HOLD}) == PAUSES_SLA
