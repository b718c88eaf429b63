"""The record page shows each SLA in words, with a bar and its history."""

from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.lifecycle import put_incident_on_hold, transition_incident
from keel.incidents.actions.records import open_incident
from keel.incidents.states import HoldReason, IncidentState, Level
from keel.lib.clock import frozen_at
from tests.sla.conftest import london


def test_the_record_page_shows_time_left_paused_state_and_history(client, agent, requester, service_desk, policies):
    with frozen_at(london("2025-06-02T09:00")):
        incident = open_incident(actor=agent, caller=requester, title="Mail", impact=Level.MEDIUM, urgency=Level.MEDIUM)
        assign_incident(incident, actor=agent, group=service_desk)
    with frozen_at(london("2025-06-02T10:00")):
        transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)
    with frozen_at(london("2025-06-02T11:30")):
        put_incident_on_hold(incident, actor=agent, reason=HoldReason.AWAITING_VENDOR)
    client.force_login(agent)

    page = client.get(f"/incidents/{incident.number}/").content.decode()

    assert "Paused" in page
    assert "5 h 30 min left when it resumes" in page
    assert '<progress class="sla-clock__bar" max="100" value="31"' in page
    assert "Met</strong> in 1 h of business time" in page
    assert "SLA history" in page
    assert "Paused — awaiting vendor" in page
    assert "2 h 30 min" in page  # counted when the hold began


def test_no_policy_no_panel(client, agent, incident):
    client.force_login(agent)

    assert 'id="sla"' not in client.get(f"/incidents/{incident.number}/").content.decode()
