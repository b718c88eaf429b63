"""Reads of SLA clocks: the entries of the incident documents are what their schema declares."""

from keel.accounts.models import User
from keel.incidents.actions.records import open_incident
from keel.incidents.schemas import SlaClockOut
from keel.lib.clock import frozen_at
from keel.sla.models import Policy
from keel.sla.queries import current_clock_entries
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
