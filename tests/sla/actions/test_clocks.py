"""Clocks follow the incident through the real actions (SLA-SEMANTICS §2 and the regressions of §5)."""

import pytest

from keel.activity.models import EntryKind, TimelineEntry
from keel.cmdb.actions.records import create_service
from keel.incidents.actions._sla import sync_sla
from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.conversation import add_comment
from keel.incidents.actions.lifecycle import (
    put_incident_on_hold,
    reopen_incident,
    resolve_incident,
    transition_incident,
)
from keel.incidents.actions.records import open_incident, update_incident
from keel.incidents.models import Category
from keel.incidents.states import TRANSITIONS, HoldReason, IncidentState, Level, ResolutionCode
from keel.lib.clock import frozen_at
from keel.sla.actions.setup import create_calendar, create_policy, update_policy
from keel.sla.business_time import datetime_of
from keel.sla.models import Clock, ClockEvent
from keel.sla.queries import incident_sla_panel, read_clock
from keel.sla.replay import Kind
from tests.sla.conftest import HOUR, london


def _open(agent, requester, *, impact=Level.MEDIUM, urgency=Level.MEDIUM, when="2025-06-02T09:00", **fields):
    with frozen_at(london(when)):
        return open_incident(actor=agent, caller=requester, title="VPN down", impact=impact, urgency=urgency, **fields)


def _clock(incident, name):
    return Clock.objects.get(incident_id=incident.pk, name=name, is_current=True)


def _kinds(clock):
    return list(ClockEvent.objects.filter(clock=clock).values_list("kind", flat=True))


def _start_work(incident, agent, service_desk, when):
    with frozen_at(london(when)):
        assign_incident(incident, actor=agent, group=service_desk)
        transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)


def test_opening_attaches_response_and_resolution_from_the_matching_policy(policies, agent, requester):
    incident = _open(agent, requester)

    response, resolution = _clock(incident, "response"), _clock(incident, "resolution")
    assert (response.policy_name, response.target_s, response.due_at) == (
        "P3 moderate",
        2 * HOUR,
        london("2025-06-02T11:00"),
    )
    assert (resolution.target_s, resolution.due_at, resolution.state) == (
        8 * HOUR,
        london("2025-06-02T17:00"),
        "running",
    )
    assert resolution.next_at == london("2025-06-02T13:00")  # E23: the 50 % warning comes first
    notes = TimelineEntry.objects.filter(subject_id=incident.pk, kind=EntryKind.SYSTEM).values_list(
        "summary", flat=True
    )
    assert any("resolution clock started: 8 h" in note for note in notes)


def test_no_policy_no_clock(agent, requester, db):
    incident = _open(agent, requester)

    assert not Clock.objects.filter(incident_id=incident.pk).exists()


def test_policies_match_in_order_on_service_and_vip(policies, office_hours, agent, requester, make_user):
    vip = make_user("victor", "requester", is_vip=True)
    create_policy(
        actor=None,
        fields={
            "name": "VIP",
            "position": 1,
            "caller_vip": True,
            "calendar": office_hours,
            "resolution_target_s": HOUR,
        },
    )

    assert _clock(_open(agent, vip), "resolution").policy_name == "VIP"
    assert _clock(_open(agent, requester), "resolution").policy_name == "P3 moderate"


def test_a_service_policy_matches_incidents_on_that_service_and_a_service_change_rematches(
    policies, office_hours, agent, requester
):
    shop = create_service(actor=None, name="Online shop")
    create_policy(
        actor=None,
        fields={"name": "Shop", "position": 20, "service": shop, "calendar": office_hours, "resolution_target_s": HOUR},
    )
    on_shop = _open(agent, requester, service=shop)
    elsewhere = _open(agent, requester, service=create_service(actor=None, name="Payroll"))
    unset = _open(agent, requester)

    matched = [_clock(incident, "resolution").policy_name for incident in (on_shop, elsewhere, unset)]
    assert matched == ["Shop", "P3 moderate", "P3 moderate"]
    with frozen_at(london("2025-06-02T09:30")):
        update_incident(unset, actor=agent, changes={"service": shop})
    moved = _clock(unset, "resolution")
    assert (moved.policy_name, moved.target_s, moved.due_at) == ("Shop", HOUR, london("2025-06-02T10:00"))
    assert _clock(unset, "response").policy_name == "P3 moderate"  # Shop has no response target


def test_a_category_policy_matches_incidents_in_that_category_and_a_category_change_rematches(
    policies, office_hours, agent, requester
):
    hardware, software = Category.objects.create(name="Hardware"), Category.objects.create(name="Software")
    create_policy(
        actor=None,
        fields={
            "name": "Hardware swap",
            "position": 20,
            "category_id": hardware.pk,
            "calendar": office_hours,
            "resolution_target_s": 24 * HOUR,
        },
    )
    in_hardware = _open(agent, requester, category=hardware)
    in_software = _open(agent, requester, category=software)

    assert _clock(in_hardware, "resolution").policy_name == "Hardware swap"
    assert _clock(in_software, "resolution").policy_name == "P3 moderate"
    with frozen_at(london("2025-06-02T10:00")):
        update_incident(in_software, actor=agent, changes={"category": hardware})
    moved = _clock(in_software, "resolution")
    # 8 h on Monday, 8 h on Tuesday, the last 8 h on Wednesday
    assert (moved.policy_name, moved.due_at) == ("Hardware swap", london("2025-06-04T17:00"))


def test_when_several_policies_match_the_lowest_position_wins_then_the_oldest(policies, office_hours, agent, requester):
    shop = create_service(actor=None, name="Online shop")
    hardware = Category.objects.create(name="Hardware")

    def policy(name, position, **criteria):
        return create_policy(
            actor=None,
            fields={
                "name": name,
                "position": position,
                "calendar": office_hours,
                "resolution_target_s": HOUR,
                **criteria,
            },
        )

    # Every one of these matches a P3 incident on the shop in hardware, except the P1-only one.
    p1_shop = policy("P1 on the shop", 1, service=shop, priority=1)
    by_service = policy("Shop", 20, service=shop)
    by_category = policy("Hardware", 25, category_id=hardware.pk)
    policy("Late twin of P3", 30, priority=3)  # same position as "P3 moderate", created after it

    def matched():
        return _clock(_open(agent, requester, service=shop, category=hardware), "resolution").policy_name

    first = matched()
    update_policy(by_service, actor=None, changes={"position": 40})
    second = matched()
    update_policy(by_category, actor=None, changes={"is_active": False})
    third = matched()
    update_policy(p1_shop, actor=None, changes={"priority": None})
    fourth = matched()

    assert [first, second, third, fourth] == ["Shop", "Hardware", "P3 moderate", "P1 on the shop"]


def test_starting_work_stops_the_response_clock_and_assigning_does_not(policies, agent, requester, service_desk):
    incident = _open(agent, requester)
    with frozen_at(london("2025-06-02T09:30")):
        assign_incident(incident, actor=agent, group=service_desk)
    assert _clock(incident, "response").state == "running"

    with frozen_at(london("2025-06-02T10:00")):
        transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)

    response = _clock(incident, "response")
    assert (response.state, response.elapsed_s, response.ended_at) == ("met", HOUR, london("2025-06-02T10:00"))


def test_a_late_public_comment_breaches_the_response(policies, agent, requester):
    incident = _open(agent, requester)

    with frozen_at(london("2025-06-02T12:00")):
        add_comment(incident, actor=agent, body="On it", public=True)

    response = _clock(incident, "response")
    assert (response.state, response.breached_at) == ("breached", london("2025-06-02T11:00"))


def test_work_notes_and_the_callers_own_comments_are_no_response(policies, agent, requester):
    incident = _open(agent, requester)

    with frozen_at(london("2025-06-02T09:10")):
        add_comment(incident, actor=agent, body="checking logs", public=False)
        add_comment(incident, actor=requester, body="any news?", public=True)

    assert _clock(incident, "response").state == "running"


def test_e9_hold_pauses_the_resolution_clock_and_resume_moves_the_due(policies, agent, requester, service_desk):
    incident = _open(agent, requester)
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")
    with frozen_at(london("2025-06-02T11:00")):
        put_incident_on_hold(incident, actor=agent, reason=HoldReason.AWAITING_VENDOR)
    paused = _clock(incident, "resolution")
    assert (paused.state, paused.due_at, paused.next_at, paused.elapsed_s) == ("paused", None, None, 2 * HOUR)

    with frozen_at(london("2025-06-02T14:00")):
        transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)

    resumed = _clock(incident, "resolution")
    assert (resumed.state, resumed.due_at) == ("running", london("2025-06-03T12:00"))


def test_a_reason_the_policy_does_not_list_does_not_pause(policies, agent, requester, service_desk):
    update_policy(policies[3], actor=None, changes={"pausing_reasons": ["awaiting_caller"]})
    incident = _open(agent, requester)
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")

    with frozen_at(london("2025-06-02T11:00")):
        put_incident_on_hold(incident, actor=agent, reason=HoldReason.AWAITING_VENDOR)

    assert _clock(incident, "resolution").state == "running"


@pytest.mark.parametrize("exit_to", sorted(TRANSITIONS[IncidentState.ON_HOLD]))
def test_glpi_14148_any_exit_from_hold_credits_the_pause(policies, agent, requester, service_desk, exit_to):
    incident = _open(agent, requester, impact=Level.HIGH, urgency=Level.HIGH)  # P1: 2 h
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")
    with frozen_at(london("2025-06-02T09:30")):
        put_incident_on_hold(incident, actor=agent, reason=HoldReason.AWAITING_VENDOR)

    with frozen_at(london("2025-06-02T13:00")):
        transition_incident(
            incident,
            exit_to,
            actor=agent,
            resolution_code=ResolutionCode.SOLVED_PERMANENTLY,
            note="Vendor answered",
        )

    resolution = _clock(incident, "resolution")
    assert resolution.elapsed_s == 1800
    assert resolution.breached_at is None
    assert resolution.state == {"in_progress": "running", "resolved": "met", "cancelled": "cancelled"}[exit_to]


def test_zammad_1322_a_caller_reply_resumes_an_incident_awaiting_them(policies, agent, requester, service_desk):
    incident = _open(agent, requester)
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")
    with frozen_at(london("2025-06-02T10:00")):
        put_incident_on_hold(incident, actor=agent, reason=HoldReason.AWAITING_CALLER)

    with frozen_at(london("2025-06-03T10:00")):
        add_comment(incident, actor=requester, body="Here is the screenshot", public=True)

    resolution = _clock(incident, "resolution")
    assert (resolution.state, resolution.due_at) == ("running", london("2025-06-03T17:00"))
    assert _kinds(resolution)[-2:] == [Kind.PAUSED, Kind.RESUMED]


def test_e11_raising_the_priority_retargets_retroactively_and_breaches(
    policies, agent, requester, service_desk, django_capture_on_commit_callbacks
):
    incident = _open(agent, requester)
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")

    with django_capture_on_commit_callbacks(execute=True), frozen_at(london("2025-06-02T12:00")):
        update_incident(incident, actor=agent, changes={"impact": Level.HIGH, "urgency": Level.HIGH})

    resolution = _clock(incident, "resolution")
    assert (resolution.policy_name, resolution.target_s) == ("P1 critical", 2 * HOUR)
    assert (resolution.breached_at, resolution.due_at) == (london("2025-06-02T11:00"), london("2025-06-02T11:00"))
    skipped = ClockEvent.objects.filter(clock=resolution, kind=Kind.THRESHOLD)
    assert sorted((event.percent, event.data["sent"]) for event in skipped) == [(50, False), (75, False), (90, False)]
    breach = ClockEvent.objects.get(clock=resolution, kind=Kind.BREACHED)
    assert breach.data["on_change"] is True
    summaries = list(
        TimelineEntry.objects.filter(subject_id=incident.pk, kind=EntryKind.SYSTEM).values_list("summary", flat=True)
    )
    assert any("recalculated: 8 h (P3 moderate) → 2 h (P1 critical)" in s for s in summaries)
    assert any("SLA breached: the resolution target passed (after a recalculation)" in s for s in summaries)


def test_e12_priority_change_while_on_hold_keeps_the_pause(policies, agent, requester, service_desk):
    """glpi#6902, #15605: the new SLA must not count the time on hold."""
    update_policy(policies[1], actor=None, changes={"resolution_target_s": 4 * HOUR})
    incident = _open(agent, requester)
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")
    with frozen_at(london("2025-06-02T10:00")):
        put_incident_on_hold(incident, actor=agent, reason=HoldReason.AWAITING_VENDOR)
    with frozen_at(london("2025-06-02T15:00")):
        update_incident(incident, actor=agent, changes={"impact": Level.HIGH, "urgency": Level.HIGH})
    paused = _clock(incident, "resolution")
    assert (paused.state, paused.elapsed_s, paused.target_s, paused.breached_at) == ("paused", HOUR, 4 * HOUR, None)

    with frozen_at(london("2025-06-03T10:00")):
        transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)

    resumed = _clock(incident, "resolution")
    assert (resumed.due_at, resumed.breached_at) == (london("2025-06-03T13:00"), None)


def test_e13_lowering_the_priority_after_a_breach_keeps_the_breach(policies, agent, requester, service_desk):
    incident = _open(agent, requester, impact=Level.HIGH, urgency=Level.HIGH)
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")

    with frozen_at(london("2025-06-02T11:30")):
        update_incident(incident, actor=agent, changes={"impact": Level.MEDIUM, "urgency": Level.MEDIUM})

    resolution = _clock(incident, "resolution")
    assert (resolution.breached_at, resolution.due_at, resolution.state) == (
        london("2025-06-02T11:00"),
        london("2025-06-02T17:00"),
        "running",
    )
    with frozen_at(london("2025-06-02T12:00")):
        resolve_incident(incident, actor=agent, code=ResolutionCode.SOLVED_PERMANENTLY)
    assert _clock(incident, "resolution").state == "breached"


def test_e14_reopen_resumes_the_same_resolution_clock(policies, agent, requester, service_desk):
    incident = _open(agent, requester)
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")
    with frozen_at(london("2025-06-02T13:00")):
        resolve_incident(incident, actor=agent, code=ResolutionCode.SOLVED_PERMANENTLY)
    assert _clock(incident, "resolution").state == "met"

    with frozen_at(london("2025-06-04T10:00")):
        reopen_incident(incident, actor=requester, note="Still broken")

    resolution = _clock(incident, "resolution")
    assert (resolution.state, resolution.elapsed_s, resolution.due_at) == (
        "running",
        4 * HOUR,
        london("2025-06-04T14:00"),
    )
    assert _clock(incident, "response").state == "met"


def test_e14_restart_policy_starts_a_new_resolution_clock_on_reopen(policies, agent, requester, service_desk):
    update_policy(policies[3], actor=None, changes={"on_reopen": "restart"})
    incident = _open(agent, requester)
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")
    with frozen_at(london("2025-06-02T13:00")):
        resolve_incident(incident, actor=agent, code=ResolutionCode.SOLVED_PERMANENTLY)

    with frozen_at(london("2025-06-04T10:00")):
        reopen_incident(incident, actor=requester, note="Still broken")

    clocks = Clock.objects.filter(incident_id=incident.pk, name="resolution").order_by("id")
    assert [(c.state, c.is_current) for c in clocks] == [("met", False), ("running", True)]
    assert clocks[1].due_at == london("2025-06-05T10:00")


def test_cancelling_cancels_every_running_clock(policies, agent, requester):
    incident = _open(agent, requester)

    with frozen_at(london("2025-06-02T10:00")):
        transition_incident(incident, IncidentState.CANCELLED, actor=agent, note="Duplicate")

    assert set(Clock.objects.filter(incident_id=incident.pk).values_list("state", flat=True)) == {"cancelled"}


def test_syncing_twice_changes_nothing(policies, agent, requester, service_desk):
    incident = _open(agent, requester)
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")
    before = ClockEvent.objects.count()

    with frozen_at(london("2025-06-02T10:00")):
        sync_sla(incident, actor=agent, now=london("2025-06-02T10:00"))

    assert ClockEvent.objects.count() == before


def test_the_panel_explains_each_clock(policies, agent, requester, service_desk):
    incident = _open(agent, requester)
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")
    with frozen_at(london("2025-06-02T11:00")):
        put_incident_on_hold(incident, actor=agent, reason=HoldReason.AWAITING_VENDOR)

    panel = {entry["name"]: entry for entry in incident_sla_panel(incident.pk, now=london("2025-06-02T12:00"))}

    resolution = panel["resolution"]
    assert (resolution["state"], resolution["business_seconds_elapsed"], resolution["percent"]) == ("paused", 7200, 25)
    assert [(item["label"], item["business_seconds"]) for item in resolution["history"]] == [
        ("Started", 0),
        ("Paused", 7200),
    ]
    assert resolution["paused_since"] == london("2025-06-02T11:00")


def test_the_stored_numbers_are_what_a_replay_of_the_events_gives(policies, agent, requester, service_desk):
    incident = _open(agent, requester)
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")
    with frozen_at(london("2025-06-02T10:00")):
        put_incident_on_hold(incident, actor=agent, reason=HoldReason.AWAITING_VENDOR)
    with frozen_at(london("2025-06-02T15:00")):
        update_incident(incident, actor=agent, changes={"impact": Level.HIGH, "urgency": Level.HIGH})
    with frozen_at(london("2025-06-03T10:00")):
        transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)
    with frozen_at(london("2025-06-03T11:00")):
        resolve_incident(incident, actor=agent, code=ResolutionCode.SOLVED_PERMANENTLY)

    for row in Clock.objects.filter(incident_id=incident.pk):
        reading = read_clock(row, list(ClockEvent.objects.filter(clock=row).order_by("id")), london("2025-06-09T09:00"))
        assert (row.state, row.elapsed_s, row.breached_at, row.ended_at) == (
            reading.state,
            reading.elapsed,
            None if reading.breached_at is None else datetime_of(reading.breached_at),
            None if reading.ended_at is None else datetime_of(reading.ended_at),
        )
    assert Clock.objects.get(incident_id=incident.pk, name="resolution").state == "met"


def test_a_policy_on_another_calendar_counts_with_it_from_the_change_on(
    policies, agent, requester, service_desk, make_user
):
    always = create_calendar(
        actor=None,
        fields={
            "name": "24×7",
            "zone": "UTC",
            "windows": [
                {"weekday": d, "opens": "00:00", "closes": "00:00"}
                for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            ],
        },
    )
    update_policy(policies[1], actor=None, changes={"calendar": always, "resolution_target_s": 10 * HOUR})
    incident = _open(agent, requester)  # P3, London office hours, 8 h
    _start_work(incident, agent, service_desk, "2025-06-02T09:00")

    with frozen_at(london("2025-06-02T16:00")):
        update_incident(incident, actor=agent, changes={"impact": Level.HIGH, "urgency": Level.HIGH})

    resolution = _clock(incident, "resolution")
    # 7 h counted in office hours by 16:00, the other 3 h in 24×7 time, straight through the evening.
    assert (resolution.calendar, resolution.target_s) == (always, 10 * HOUR)
    assert (resolution.due_at, resolution.breached_at) == (london("2025-06-02T19:00"), None)
    assert _kinds(resolution)[-2:] == [Kind.RETARGETED, Kind.CALENDAR_SWITCHED]
    history = next(e for e in incident_sla_panel(incident.pk) if e["name"] == "resolution")["history"]
    assert [(item["label"], item["business_seconds"]) for item in history[-2:]] == [
        ("Recalculated", 7 * HOUR),
        ("Calendar changed", 7 * HOUR),
    ]
