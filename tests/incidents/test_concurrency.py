"""Two people editing the same incident at the same moment: one wins, the other is told, nothing is lost."""

import pytest

from keel.incidents.actions.records import update_incident
from keel.incidents.models import Incident
from keel.lib.conditional import IfMatch
from keel.lib.errors import StaleVersion
from tests.threads import at_once


@pytest.mark.django_db(transaction=True)
def test_simultaneous_edits_of_one_version_let_exactly_one_through(incident, agent, incident_manager):
    def edit(actor, title):
        try:
            update_incident(
                Incident.objects.get(pk=incident.pk), actor=actor, changes={"title": title}, if_match=IfMatch.version(1)
            )
        except StaleVersion:
            return "stale"
        return "saved"

    outcomes = at_once(lambda: edit(agent, "Agent's title"), lambda: edit(incident_manager, "Manager's title"))

    stored = Incident.objects.get(pk=incident.pk)
    assert sorted(outcomes) == ["saved", "stale"]
    assert stored.version == 2
    assert stored.title in {"Agent's title", "Manager's title"}
