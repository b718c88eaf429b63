"""Several workers processing and deciding at once: every payload applied once, one alert per
identity, one incident per group (on PostgreSQL the claims really race: SKIP LOCKED, row locks)."""

import threading

import orjson
import pytest
from django.db import connection, transaction

from keel.incidents.models import Incident
from keel.integrations.actions.intake import receive
from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.sources import create_source
from keel.integrations.models import Alert, CorrelationRule, Payload
from keel.integrations.states import Endpoint, PayloadStatus, SourceKind
from tests.integrations.actions.test_decisions import alert, notification
from tests.threads import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_apply_every_payload_once_and_open_one_incident_per_group():
    # Said here: a transactional test before this one flushes the rules the migration seeds.
    CorrelationRule.objects.get_or_create(name="Critical at once", defaults={"severities": ["critical"]})
    issued = create_source(actor=None, name="am", kind=SourceKind.ALERTMANAGER)
    for round_ in range(30):
        body = notification(*(alert("DiskFull", instance=f"db{index}") for index in range(round_ % 5, 10)))
        receive(kind=SourceKind.ALERTMANAGER, secret=issued.secret, endpoint=Endpoint.ALERTS, body=_json(body))

    def worker() -> None:
        while process_pending(batch=4).payloads:
            pass

    at_once(worker, worker)  # raises what either raised
    assert set(Payload.objects.values_list("status", flat=True)) == {PayloadStatus.PROCESSED}
    occurrences = dict(Alert.objects.values_list("identity", "occurrences"))
    assert occurrences == {f"DiskFull-db{index}": min(index + 1, 5) * 6 for index in range(10)}
    assert Incident.objects.count() == 1
    assert set(Alert.objects.values_list("incident", flat=True)) == {Incident.objects.get().pk}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks: one writer at a time")
def test_a_worker_that_finds_the_oldest_payloads_taken_takes_the_next_ones():
    issued = create_source(actor=None, name="am", kind=SourceKind.ALERTMANAGER)
    for index in range(3):
        body = notification(alert("DiskFull", instance=f"db{index}"))
        receive(kind=SourceKind.ALERTMANAGER, secret=issued.secret, endpoint=Endpoint.ALERTS, body=_json(body))
    oldest = Payload.objects.order_by("id").first()
    held, release, processed = threading.Event(), threading.Event(), []

    def other_worker() -> None:  # holds the oldest payload as a worker in the middle of its batch does
        try:
            with transaction.atomic():
                Payload.objects.select_for_update().get(pk=oldest.pk)
                held.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=other_worker)
    holder.start()
    held.wait(30)
    try:
        processed.append(process_pending(batch=2).payloads)
    finally:
        release.set()
        holder.join()

    assert processed == [2], "the two payloads after the held one, not nothing"
    assert list(Payload.objects.order_by("id").values_list("status", flat=True)) == [
        PayloadStatus.PENDING,
        PayloadStatus.PROCESSED,
        PayloadStatus.PROCESSED,
    ]


def _json(body: object) -> bytes:
    return orjson.dumps(body)
