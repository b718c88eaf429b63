"""The sweep fires each warning and each breach once, at the computed instant, however many workers run."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keel.activity.models import EntryKind, TimelineEntry
from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.lifecycle import put_incident_on_hold, transition_incident
from keel.incidents.actions.records import open_incident
from keel.incidents.states import HoldReason, IncidentState, Level
from keel.lib.clock import frozen_at
from keel.sla.actions.setup import update_calendar
from keel.sla.actions.sweep import sweep
from keel.sla.models import Clock, ClockEvent
from keel.sla.replay import Kind
from tests.sla.conftest import OFFICE_HOURS, london
from tests.threads import at_once


def _open(agent, requester, when="2025-06-02T09:00"):
    with frozen_at(london(when)):
        return open_incident(
            actor=agent, caller=requester, title="Mail down", impact=Level.MEDIUM, urgency=Level.MEDIUM
        )


def _resolution(incident):
    return Clock.objects.get(incident_id=incident.pk, name="resolution", is_current=True)


def _fired(incident):
    fired = ClockEvent.objects.filter(clock__incident_id=incident.pk, kind__in=[Kind.THRESHOLD, Kind.BREACHED])
    return list(fired.order_by("clock__name", "at").values_list("clock__name", "kind", "percent", "at"))


def _sla_notes(incident):
    return list(
        TimelineEntry.objects.filter(subject_id=incident.pk, kind=EntryKind.SYSTEM, data__clock_id__isnull=False)
        .order_by("at", "id")
        .values_list("summary", flat=True)
    )


def test_e23_warnings_fire_at_their_instants_then_the_breach(
    policies, agent, requester, django_capture_on_commit_callbacks
):
    incident = _open(agent, requester)

    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=london("2025-06-02T12:59:59"))
    assert _fired(incident) == [
        ("response", "threshold", 50, london("2025-06-02T10:00")),
        ("response", "threshold", 75, london("2025-06-02T10:30")),
        ("response", "threshold", 90, london("2025-06-02T10:48")),
        ("response", "breached", None, london("2025-06-02T11:00")),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=london("2025-06-02T13:00"))
        sweep(now=london("2025-06-02T17:00:01"))
        sweep(now=london("2025-06-02T17:00:01"))

    resolution = [row for row in _fired(incident) if row[0] == "resolution"]
    assert resolution == [
        ("resolution", "threshold", 50, london("2025-06-02T13:00")),
        ("resolution", "threshold", 75, london("2025-06-02T15:00")),
        ("resolution", "threshold", 90, london("2025-06-02T16:12")),
        ("resolution", "breached", None, london("2025-06-02T17:00")),
    ]
    assert _sla_notes(incident).count("SLA breached: the resolution target passed") == 1
    assert len(_sla_notes(incident)) == 8
    assert _resolution(incident).next_at is None


def test_a_clock_due_exactly_now_is_not_breached_yet(policies, agent, requester):
    incident = _open(agent, requester)

    sweep(now=london("2025-06-02T17:00"))

    assert _resolution(incident).breached_at is None
    assert _resolution(incident).next_at == london("2025-06-02T17:00:01")


def test_the_sweep_only_reads_clocks_that_are_due(policies, agent, requester):
    for _ in range(5):
        _open(agent, requester)

    with CaptureQueriesContext(connection) as queries:
        touched = sweep(now=london("2025-06-02T09:59"))

    assert touched == 0
    selects = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]
    assert len(selects) == 1
    assert '"sla_clock"."next_at" <=' in selects[0]


def test_a_paused_clock_fires_nothing(policies, agent, requester, service_desk):
    incident = _open(agent, requester)
    with frozen_at(london("2025-06-02T09:00")):
        assign_incident(incident, actor=agent, group=service_desk)
        transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)
        put_incident_on_hold(incident, actor=agent, reason=HoldReason.AWAITING_VENDOR)

    sweep(now=london("2025-06-09T09:00"))

    assert [row for row in _fired(incident) if row[0] == "resolution"] == []


def test_e25a_editing_the_calendar_moves_running_clocks_from_the_edit_on(policies, office_hours, agent, requester):
    with frozen_at(london("2025-06-02T15:00")):
        incident = open_incident(
            actor=agent, caller=requester, title="Disk full", impact=Level.MEDIUM, urgency=Level.MEDIUM
        )
    assert _resolution(incident).due_at == london("2025-06-03T15:00")

    with frozen_at(london("2025-06-02T16:00")):
        update_calendar(
            office_hours,
            actor=None,
            changes={"recurring_closures": [{"month": 6, "day": 3, "name": "Founders' day"}], "windows": OFFICE_HOURS},
        )

    resolution = _resolution(incident)
    assert (resolution.due_at, resolution.elapsed_s) == (london("2025-06-04T15:00"), 3600)


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_fire_each_warning_and_breach_once(policies, agent, requester):
    incidents = [_open(agent, requester) for _ in range(6)]

    def worker() -> None:
        for minutes in range(0, 9 * 60, 30):
            sweep(now=london("2025-06-02T09:00") + timedelta(minutes=minutes))

    at_once(worker, worker)  # raises what either raised
    for incident in incidents:
        assert [(name, kind, percent) for name, kind, percent, _ in _fired(incident)] == [
            ("resolution", "threshold", 50),
            ("resolution", "threshold", 75),
            ("resolution", "threshold", 90),
            ("resolution", "breached", None),
            ("response", "threshold", 50),
            ("response", "threshold", 75),
            ("response", "threshold", 90),
            ("response", "breached", None),
        ]
        assert len(_sla_notes(incident)) == 8


def test_glpi_15870_the_engines_own_entries_never_count_as_a_response(
    policies, agent, requester, django_capture_on_commit_callbacks
):
    incident = _open(agent, requester)

    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=london("2025-06-02T10:50"))

    assert len(_sla_notes(incident)) == 3  # the response clock's three warnings are on the timeline
    response = Clock.objects.get(incident_id=incident.pk, name="response")
    assert (response.state, response.ended_at) == ("running", None)
    incident.refresh_from_db()
    assert incident.first_response_at is None
