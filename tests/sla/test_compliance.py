"""% resolved and % responded within SLA (``GET /sla/compliance``) by priority, service, group and
period, with hand-counted expectations; cancelled clocks are left out."""

import pytest

from keel.cmdb.actions.records import create_service
from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.lifecycle import resolve_incident, transition_incident
from keel.incidents.actions.records import open_incident
from keel.incidents.states import IncidentState, Level, ResolutionCode
from keel.lib.clock import frozen_at
from tests.sla.conftest import london


def _opened(agent, requester, group, when, *, impact=Level.MEDIUM, urgency=Level.MEDIUM, **fields):
    """Opened and assigned to ``group``: P3 (medium × medium) has 8 h to resolve, P1 (high × high)
    2 h, both in London office hours (Mon-Fri 09:00-17:00)."""
    with frozen_at(london(when)):
        incident = open_incident(
            actor=agent, caller=requester, title="Printer", impact=impact, urgency=urgency, **fields
        )
        assign_incident(incident, actor=agent, group=group)
    return incident


def _resolved(actor, incident, when):
    with frozen_at(london(when)):
        resolve_incident(incident, actor=actor, code=ResolutionCode.SOLVED_PERMANENTLY)


def _cancelled(agent, incident, when):
    with frozen_at(london(when)):
        transition_incident(incident, IncidentState.CANCELLED, actor=agent, note="Duplicate")


def _rows(body):
    return [(row["key"], row["period"], row["met"], row["breached"], row["percent_within_sla"]) for row in body["rows"]]


def test_compliance_by_service(api, agent, requester, service_desk, policies):
    shop, payroll = create_service(actor=None, name="Online shop"), create_service(actor=None, name="Payroll")
    # P3 opened Mon 2025-06-02 09:00: due Mon 17:00. Met by then; breached after.
    for service, resolved in (
        (shop, "2025-06-02T12:00"),  # met
        (shop, "2025-06-03T12:00"),  # breached: 11 h counted
        (payroll, "2025-06-02T10:00"),  # met
        (payroll, "2025-06-02T17:00"),  # met: exactly at the due (B7)
        (payroll, "2025-06-03T09:30"),  # breached
        (None, "2025-06-02T11:00"),  # met, no service
    ):
        _resolved(agent, _opened(agent, requester, service_desk, "2025-06-02T09:00", service=service), resolved)
    _cancelled(agent, _opened(agent, requester, service_desk, "2025-06-02T09:00", service=shop), "2025-06-03T12:00")

    body = api(agent).get("/sla/compliance?name=resolution&by=service").json()

    assert (body["name"], body["by"], body["period"]) == ("resolution", "service", None)
    # shop 1 of 2 (the cancelled one left out), payroll 2 of 3, no service 1 of 1
    assert _rows(body) == [
        (shop.pk, None, 1, 1, 50.0),
        (payroll.pk, None, 2, 1, 66.7),
        (None, None, 1, 0, 100.0),
    ]


@pytest.mark.usefixtures("policies")
def test_compliance_by_group_counts_the_group_holding_the_incident_when_it_stopped(
    api, incident_manager, requester, service_desk, network_team
):
    manager = incident_manager  # works every queue
    for group, resolved in (
        (service_desk, "2025-06-02T10:00"),  # met
        (service_desk, "2025-06-02T16:00"),  # met
        (service_desk, "2025-06-02T18:00"),  # breached: past Mon 17:00, although no more time counted
        (network_team, "2025-06-04T09:00"),  # breached
    ):
        _resolved(manager, _opened(manager, requester, group, "2025-06-02T09:00"), resolved)
    handed_on = _opened(manager, requester, service_desk, "2025-06-02T09:00")
    with frozen_at(london("2025-06-02T12:00")):
        assign_incident(handed_on, actor=manager, group=network_team)
    _resolved(manager, handed_on, "2025-06-02T13:00")  # met, by the network team

    body = api(manager).get("/sla/compliance?by=group").json()

    assert _rows(body) == [
        (service_desk.pk, None, 2, 1, 66.7),
        (network_team.pk, None, 1, 1, 50.0),
    ]


def test_compliance_by_priority_and_week_within_a_time_range(api, agent, requester, service_desk, policies):
    high = {"impact": Level.HIGH, "urgency": Level.HIGH}
    for opened, resolved, levels in (
        ("2025-06-02T09:00", "2025-06-02T10:00", high),  # P1, met (due 11:00)
        ("2025-06-02T09:00", "2025-06-02T12:00", high),  # P1, breached
        ("2025-06-09T09:00", "2025-06-09T10:30", high),  # P1, met, the next week
        ("2025-06-02T09:00", "2025-06-06T10:00", {}),  # P3, breached (due Mon 17:00), stopped on Friday
        ("2025-06-09T09:00", "2025-06-09T15:00", {}),  # P3, met
        ("2025-06-09T09:00", "2025-06-09T16:00", {}),  # P3, met
        ("2025-06-16T09:00", "2025-06-16T10:00", high),  # P1, met, the week after: outside `until`
    ):
        _resolved(agent, _opened(agent, requester, service_desk, opened, **levels), resolved)
    weeks = ("2025-06-02T00:00:00.000000Z", "2025-06-09T00:00:00.000000Z")

    every = api(agent).get("/sla/compliance?by=priority&period=week&until=2025-06-16T00:00:00Z").json()
    later = api(agent).get("/sla/compliance?by=priority&period=week&since=2025-06-09T00:00:00Z").json()

    assert _rows(every) == [
        (1, weeks[0], 1, 1, 50.0),
        (1, weeks[1], 1, 0, 100.0),
        (3, weeks[0], 0, 1, 0.0),
        (3, weeks[1], 2, 0, 100.0),
    ]
    assert _rows(later) == [
        (1, weeks[1], 1, 0, 100.0),
        (1, "2025-06-16T00:00:00.000000Z", 1, 0, 100.0),
        (3, weeks[1], 2, 0, 100.0),
    ]


def test_compliance_without_grouping_is_one_row_over_every_stopped_clock(api, agent, requester, service_desk, policies):
    _resolved(agent, _opened(agent, requester, service_desk, "2025-06-02T09:00"), "2025-06-02T10:00")
    _resolved(agent, _opened(agent, requester, service_desk, "2025-06-02T09:00"), "2025-06-03T10:00")
    _resolved(agent, _opened(agent, requester, service_desk, "2025-06-02T09:00"), "2025-06-02T11:00")

    body = api(agent).get("/sla/compliance").json()

    assert _rows(body) == [(None, None, 2, 1, 66.7)]


def test_compliance_by_priority(api, agent, requester, service_desk, policies):
    for impact, resolved_at in (
        (Level.HIGH, "2025-06-02T10:00"),
        (Level.HIGH, "2025-06-02T12:00"),
        (Level.MEDIUM, "2025-06-02T12:00"),
    ):
        with frozen_at(london("2025-06-02T09:00")):
            incident = open_incident(actor=agent, caller=requester, title="Mail", impact=impact, urgency=Level.HIGH)
            assign_incident(incident, actor=agent, group=service_desk)
        with frozen_at(london(resolved_at)):
            resolve_incident(incident, actor=agent, code=ResolutionCode.SOLVED_PERMANENTLY)

    body = api(agent).get("/sla/compliance?name=resolution&by=priority&period=month").json()

    assert [(row["key"], row["met"], row["breached"], row["percent_within_sla"]) for row in body["rows"]] == [
        (1, 1, 1, 50.0),
        (2, 1, 0, 100.0),
    ]
    assert body["rows"][0]["period"] == "2025-06-01T00:00:00.000000Z"
    by_group = api(agent).get("/sla/compliance?name=response&by=group").json()["rows"]
    # Nobody answered before resolving: every response clock stopped late at the resolution.
    assert [(row["key"], row["met"], row["breached"]) for row in by_group] == [(service_desk.pk, 0, 3)]


def test_compliance_refuses_an_unknown_grouping(api, agent):
    response = api(agent).get("/sla/compliance?by=colour")

    assert (response.status_code, response.json()["field"]) == (400, "by")
