"""Reads of SLA clocks: the entries of the incident documents are what their schema declares, and
the record page's panel (read through the ORM) shows a current clock as the documents do (read by
``rows``)."""

from keel.accounts.models import Team, User
from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.lifecycle import put_incident_on_hold, transition_incident
from keel.incidents.actions.records import open_incident
from keel.incidents.schemas import SlaClockOut
from keel.incidents.states import HoldReason, IncidentState
from keel.lib.clock import frozen_at
from keel.sla.models import Policy
from keel.sla.queries import current_clock_entries, incident_sla_panel
from keel.sla.rows import AS_READ
from tests.sla.conftest import london


def test_clock_entry_keys_follow_the_schema() -> None:
    assert [*AS_READ, "overdue"] == list(SlaClockOut.model_fields), "rows.AS_READ names the entry's keys in order"


def test_each_clock_entry_matches_its_schema(agent: User, requester: User, policies: dict[int, Policy]) -> None:
    with frozen_at(london("2025-06-02T09:00")):
        incident = open_incident(actor=agent, caller=requester, title="Mail down")

    entries = current_clock_entries([incident.pk], now=london("2025-06-02T10:00"))[incident.pk]

    # Written as the answer will be (the incident list sends them as raw bytes): the schema's own
    # serialisation gives them back unchanged.
    assert [SlaClockOut.model_validate(entry).model_dump(mode="json") for entry in entries] == entries
    assert [entry["name"] for entry in entries] == ["resolution", "response"]


def test_the_panel_shows_each_current_clock_as_the_documents_do(
    agent: User, requester: User, service_desk: Team, policies: dict[int, Policy]
) -> None:
    with frozen_at(london("2025-06-02T09:00")):
        incident = open_incident(actor=agent, caller=requester, title="Mail down")
    with frozen_at(london("2025-06-02T10:00")):
        assign_incident(incident, actor=agent, group=service_desk)
        transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)
        put_incident_on_hold(incident, actor=agent, reason=HoldReason.AWAITING_VENDOR)
    now = london("2025-06-02T11:30")

    panel = incident_sla_panel(incident.pk, now=now)
    entries = current_clock_entries([incident.pk], now=now)[incident.pk]

    assert [SlaClockOut.model_validate(entry).model_dump(mode="json") for entry in panel] == entries
    assert [entry["state"] for entry in entries] == ["paused", "met"]
