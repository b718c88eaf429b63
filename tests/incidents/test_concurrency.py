"""Two people editing the same incident at the same moment: one wins, the other is told, nothing is lost."""

import threading

import pytest
from django.db import connection

from keel.incidents.actions.records import update_incident
from keel.incidents.models import Incident
from keel.lib.conditional import IfMatch
from keel.lib.errors import StaleVersion


@pytest.mark.django_db(transaction=True)
def test_simultaneous_edits_of_one_version_let_exactly_one_through(incident, agent, incident_manager):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def edit(actor, title):
        barrier.wait()
        try:
            update_incident(
                Incident.objects.get(pk=incident.pk), actor=actor, changes={"title": title}, if_match=IfMatch.version(1)
            )
            result = "saved"
        except StaleVersion:
            result = "stale"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=edit, args=(agent, "Agent's title")),
        threading.Thread(target=edit, args=(incident_manager, "Manager's title")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stored = Incident.objects.get(pk=incident.pk)
    assert sorted(outcomes) == ["saved", "stale"]
    assert stored.version == 2
    assert stored.title in {"Agent's title", "Manager's title"}
