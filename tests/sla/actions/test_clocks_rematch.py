"""Re-matching the policy after the incident opened: a clock attached late counts exactly what it
would have counted from the start (retroactive start and pause, glpi#6902/#15605), and a clock no
policy fits any more keeps its commitment and says so."""

from dataclasses import replace

import pytest

from keel.activity.models import EntryKind, TimelineEntry
from keel.incidents.actions._sla import facts_of
from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.lifecycle import (
    put_incident_on_hold,
    reopen_incident,
    resolve_incident,
    transition_incident,
)
from keel.incidents.actions.records import open_incident, update_incident
from keel.incidents.states import HoldReason, IncidentState, Level, ResolutionCode
from keel.lib.clock import frozen_at
from keel.sla.actions.clocks import sync_clocks
from keel.sla.actions.setup import create_policy, update_policy
from keel.sla.facts import Phase
from keel.sla.models import Clock, ClockEvent
from keel.sla.replay import Kind
from tests.sla.conftest import HOUR, london


@pytest.fixture
def p1_only(office_hours):
    """Only P1 incidents have an SLA: 30 min to respond, 8 h to resolve."""
    return create_policy(
        actor=None,
        fields={
            "name": "P1 critical",
            "priority": 1,
            "calendar": office_hours,
            "response_target_s": HOUR // 2,
            "resolution_target_s": 8 * HOUR,
        },
    )


def _at(when, action, *args, **kwargs):
    with frozen_at(london(when)):
        return action(*args, **kwargs)


def _open_p3(agent, requester):
    return _at(
        "2025-06-02T09:00",
        open_incident,
        actor=agent,
        caller=requester,
        title="Payroll export fails",
        impact=Level.MEDIUM,
        urgency=Level.MEDIUM,
    )


def _raise_to_p1(incident, agent, when):
    _at(when, update_incident, incident, actor=agent, changes={"impact": Level.HIGH, "urgency": Level.HIGH})


def _history(api, agent, incident, name, *, when):
    with frozen_at(london(when)):
        clocks = api(agent).get(f"/incidents/{incident.number}/sla").json()
    clock = next(clock for clock in clocks if clock["name"] == name)
    return clock, [(item["kind"], item["at"], item["business_seconds"]) for item in clock["history"]]


def _sla_notes(incident):
    entries = TimelineEntry.objects.filter(subject_id=incident.pk, kind=EntryKind.SYSTEM, data__sla=True)
    return list(entries.order_by("at", "id").values_list("summary", flat=True))


def test_a_clock_attached_on_a_priority_change_lays_in_the_earlier_holds_that_pause_it(
    api, p1_only, agent, requester, service_desk
):
    """The worked example, London office hours (Mon-Fri 09:00-17:00 BST, 08:00-16:00Z):

    Mon 09:00 opened as P3 (no policy, no clock), work starts; 10:00-15:00 awaiting the vendor
    (pauses); 16:00 on hold awaiting a problem (this policy does not pause for it) until Tue 10:00;
    Tue 11:00 awaiting the caller (pauses); Tue 12:00, still on hold, raised to P1: 8 h.
    Counted: Mon 09-10, 15-16, 16-17 and Tue 09-10, 10-11 = 5 h (18 000 s); paused now.
    Resumed Wed 10:00: the 3 h left end Wed 13:00 BST. Counting from Mon 09:00 without the pauses
    would have used the 8 h up by Mon 17:00 and breached on the spot.
    """
    incident = _open_p3(agent, requester)
    _at("2025-06-02T09:00", assign_incident, incident, actor=agent, group=service_desk)
    _at("2025-06-02T09:00", transition_incident, incident, IncidentState.IN_PROGRESS, actor=agent)
    _at("2025-06-02T10:00", put_incident_on_hold, incident, actor=agent, reason=HoldReason.AWAITING_VENDOR)
    _at("2025-06-02T15:00", transition_incident, incident, IncidentState.IN_PROGRESS, actor=agent)
    _at("2025-06-02T16:00", put_incident_on_hold, incident, actor=agent, reason=HoldReason.AWAITING_PROBLEM)
    _at("2025-06-03T10:00", transition_incident, incident, IncidentState.IN_PROGRESS, actor=agent)
    _at("2025-06-03T11:00", put_incident_on_hold, incident, actor=agent, reason=HoldReason.AWAITING_CALLER)
    assert not Clock.objects.filter(incident_id=incident.pk).exists()

    _raise_to_p1(incident, agent, "2025-06-03T12:00")

    attached, history = _history(api, agent, incident, "resolution", when="2025-06-03T12:00")
    assert (attached["state"], attached["business_seconds_elapsed"], attached["breached_at"]) == ("paused", 18000, None)
    assert history == [
        ("attached", "2025-06-02T08:00:00.000000Z", 0),
        ("paused", "2025-06-02T09:00:00.000000Z", 3600),
        ("resumed", "2025-06-02T14:00:00.000000Z", 3600),
        ("paused", "2025-06-03T10:00:00.000000Z", 18000),
        ("threshold", "2025-06-03T09:00:00.000000Z", 14400),  # 50 % at Tue 10:00 BST: passed, skipped
    ]
    assert attached["history"][1]["detail"] == "awaiting vendor (from the incident's history)"
    # Work had started at Mon 09:00: the response was given, so no response clock attaches.
    assert list(Clock.objects.filter(incident_id=incident.pk).values_list("name", flat=True)) == ["resolution"]
    assert _sla_notes(incident) == [
        "SLA resolution clock started: 8 h of business time (P1 critical), counted from 2025-06-02 08:00 UTC, "
        "not counting its time on hold."
    ]

    _at("2025-06-04T10:00", transition_incident, incident, IncidentState.IN_PROGRESS, actor=agent)

    with frozen_at(london("2025-06-04T10:00")):
        resumed = api(agent).get(f"/incidents/{incident.number}").json()["sla"][0]
    assert (resumed["state"], resumed["target_at"]) == ("running", "2025-06-04T12:00:00.000000Z")
    # The 50 % warning passed before the clock existed: recorded as skipped, never sent on resume.
    warnings = ClockEvent.objects.filter(clock__incident_id=incident.pk, kind=Kind.THRESHOLD)
    assert [(event.percent, event.data["sent"]) for event in warnings] == [(50, False)]


@pytest.mark.parametrize(
    "case",
    [
        # Mon 09-11 and Tue 10-11 counted (3 h), the resolved night a pause: 5 h left from 11:00.
        ("resume", "2025-06-02T08:00:00.000000Z", 3 * HOUR, "2025-06-03T15:00:00.000000Z"),
        # The clock a restart would have begun at the reopen: Tue 10-17 and Wed 09-10.
        ("restart", "2025-06-03T09:00:00.000000Z", HOUR, "2025-06-04T09:00:00.000000Z"),
    ],
)
def test_a_clock_attached_after_a_reopen_treats_the_resolved_time_as_its_policy_says(
    api, p1_only, agent, requester, case
):
    on_reopen, start, elapsed, due = case
    update_policy(p1_only, actor=None, changes={"on_reopen": on_reopen})
    incident = _open_p3(agent, requester)
    _at("2025-06-02T11:00", resolve_incident, incident, actor=agent, code=ResolutionCode.SOLVED_WORKAROUND)
    _at("2025-06-03T10:00", reopen_incident, incident, actor=requester, note="It broke again")

    _raise_to_p1(incident, agent, "2025-06-03T11:00")

    clock, history = _history(api, agent, incident, "resolution", when="2025-06-03T11:00")
    assert (clock["started_at"], clock["business_seconds_elapsed"], clock["target_at"]) == (start, elapsed, due)
    assert history[0] == ("attached", start, 0)


def test_the_resolved_time_shows_in_the_history_of_a_clock_attached_after_a_reopen(api, p1_only, agent, requester):
    incident = _open_p3(agent, requester)
    _at("2025-06-02T11:00", resolve_incident, incident, actor=agent, code=ResolutionCode.SOLVED_WORKAROUND)
    _at("2025-06-03T10:00", reopen_incident, incident, actor=requester, note="It broke again")

    _raise_to_p1(incident, agent, "2025-06-03T11:00")

    _, history = _history(api, agent, incident, "resolution", when="2025-06-03T11:00")
    assert history == [
        ("attached", "2025-06-02T08:00:00.000000Z", 0),
        ("stopped", "2025-06-02T10:00:00.000000Z", 2 * HOUR),
        ("reopened", "2025-06-03T09:00:00.000000Z", 2 * HOUR),
    ]
    assert "not counting its time resolved" in _sla_notes(incident)[0]


def test_a_response_clock_attached_late_counts_from_the_opening_and_may_be_breached_at_once(
    api, p1_only, agent, requester
):
    incident = _open_p3(agent, requester)

    _raise_to_p1(incident, agent, "2025-06-02T10:00")

    response = Clock.objects.get(incident_id=incident.pk, name="response")
    assert (response.started_at, response.breached_at) == (london("2025-06-02T09:00"), london("2025-06-02T09:30"))
    breach = ClockEvent.objects.get(clock=response, kind=Kind.BREACHED)
    assert (breach.data["on_attach"], breach.data["on_change"]) == (True, False)
    assert "SLA response clock started: 30 min of business time (P1 critical), counted from 2025-06-02 08:00 UTC, " in (
        " ".join(_sla_notes(incident))
    )
    assert "already breached." in " ".join(_sla_notes(incident))


def test_no_response_clock_attaches_late_once_the_incident_was_resolved(api, p1_only, agent, requester):
    incident = _open_p3(agent, requester)
    _at("2025-06-02T11:00", resolve_incident, incident, actor=None, code=ResolutionCode.SOLVED_WORKAROUND)
    _at("2025-06-03T10:00", reopen_incident, incident, actor=requester, note="It broke again")
    assert incident.first_response_at is None  # Keel resolved it: no human answered

    _raise_to_p1(incident, agent, "2025-06-03T11:00")

    assert list(Clock.objects.filter(incident_id=incident.pk).values_list("name", flat=True)) == ["resolution"]


def test_when_no_policy_matches_any_more_the_clocks_keep_their_targets_and_say_so(
    api, p1_only, office_hours, agent, requester
):
    create_policy(
        actor=None,
        fields={"name": "P3 moderate", "priority": 3, "calendar": office_hours, "resolution_target_s": 8 * HOUR},
    )
    incident = _open_p3(agent, requester)

    _at("2025-06-02T10:00", update_incident, incident, actor=agent, changes={"impact": Level.LOW})  # P4

    clock, history = _history(api, agent, incident, "resolution", when="2025-06-02T10:00")
    assert (clock["policy"], clock["target_seconds"], clock["state"]) == ("P3 moderate", 8 * HOUR, "running")
    assert clock["target_at"] == "2025-06-02T16:00:00.000000Z"
    assert history[-1] == ("unmatched", "2025-06-02T09:00:00.000000Z", HOUR)
    assert clock["history"][-1]["label"] == "Kept"
    assert clock["history"][-1]["detail"] == "no active policy matches any more: target 8 h (P3 moderate) kept"
    assert _sla_notes(incident)[-1] == (
        "SLA resolution clock kept at 8 h (P3 moderate): no active policy matches any more; "
        "1 h of business time counted so far."
    )

    _raise_to_p1(incident, agent, "2025-06-02T11:00")

    raised, _ = _history(api, agent, incident, "resolution", when="2025-06-02T11:00")
    assert (raised["policy"], raised["target_seconds"]) == ("P1 critical", 8 * HOUR)


def test_when_the_matching_policy_lacks_the_target_that_clock_keeps_its_own(
    api, policies, office_hours, agent, requester
):
    incident = _open_p3(agent, requester)
    create_policy(
        actor=None,
        fields={"name": "Resolve only", "position": 1, "calendar": office_hours, "resolution_target_s": 4 * HOUR},
    )

    _at("2025-06-02T09:30", update_incident, incident, actor=agent, changes={"impact": Level.HIGH})  # P2

    clocks = {clock.name: clock for clock in Clock.objects.filter(incident_id=incident.pk)}
    assert (clocks["resolution"].policy_name, clocks["resolution"].target_s) == ("Resolve only", 4 * HOUR)
    assert (clocks["response"].policy_name, clocks["response"].target_s) == ("P3 moderate", 2 * HOUR)
    assert ClockEvent.objects.filter(clock=clocks["response"]).last().kind == Kind.UNMATCHED
    assert (
        "SLA response clock kept at 2 h (P3 moderate): the matching policy Resolve only has no response target; "
        "30 min of business time counted so far."
    ) in _sla_notes(incident)


def test_a_hold_missing_from_the_history_is_still_paused_on_attach_with_the_time_counted(
    api, p1_only, agent, requester, service_desk
):
    """What the incident is now wins over a history that lacks it (say, rows imported without
    their audit): the clock attached late pauses at the attach, and says what it had counted."""
    incident = _open_p3(agent, requester)
    _at("2025-06-02T09:00", assign_incident, incident, actor=agent, group=service_desk)
    _at("2025-06-02T11:00", put_incident_on_hold, incident, actor=agent, reason=HoldReason.AWAITING_VENDOR)
    incident.priority = 1
    opened_only = replace(facts_of(incident), phases=lambda: [(incident.opened_at, Phase.OPEN, "")])

    sync_clocks(opened_only, at=london("2025-06-02T12:00"), actor_id=agent.pk, rematch=True)

    clock, history = _history(api, agent, incident, "resolution", when="2025-06-02T12:00")
    assert clock["state"] == "paused"
    assert history == [
        ("attached", "2025-06-02T08:00:00.000000Z", 0),
        ("paused", "2025-06-02T11:00:00.000000Z", 3 * HOUR),
    ]
