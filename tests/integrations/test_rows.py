"""Monitoring's speed layer: its statements write every column of the models (a field left out of
a row gets its default), and the lists of what a step reads or changes follow the models: a new
field fails here, naming the list, until it is listed or excluded."""

from typing import Any

import pytest
from django.db.models import Model

from keel.integrations import rows
from keel.integrations.actions.alerts import SIGNALLED, WRITTEN
from keel.integrations.actions.decisions import DECIDED
from keel.integrations.actions.processing import PROCESSED
from keel.integrations.actions.sources import IssuedSecret
from keel.integrations.actions.sweep import SWEPT
from keel.integrations.models import Alert, AlertEvent, Payload
from keel.integrations.states import AlertEventKind, AlertStatus, PayloadStatus
from keel.lib import clock
from tests.integrations.conftest import field_names

# An alert's key: which source sent it and which of that source's alerts it is. Never rewritten.
KEY = {"id", "source", "identity"}
# Deciding reads neither what an alert says beyond its summary and labels (a storm is many rows),
# nor the sender's times, nor which payload fed it last (the one alert whose incident is opened
# has its annotations loaded on first use).
NOT_READ_FOR_DECIDING = {
    "identity",
    "annotations",
    "links",
    "details",
    "first_seen_at",
    "last_seen_at",
    "started_at",
    "ends_at",
    "recent_changes",
    "last_payload_id",
}
# Expiring an alert and calming its flapping change its status and flapping only: what the sender
# said, when it was seen, where it is placed and what was decided stay.
SAID = {"severity", "summary", "labels", "annotations", "links", "details"}
SEEN = {"occurrences", "first_seen_at", "last_seen_at", "started_at", "ends_at", "last_payload_id"}
PLACED_AND_DECIDED = {"ci", "service", "incident", "suppressed_by"}
NOT_SWEPT = KEY | SAID | SEEN | PLACED_AND_DECIDED
# A payload is kept as received (DESIGN §4.6); ``replayed`` is set by a replay and stays.
NOT_PROCESSED = {
    "id",
    "source",
    "endpoint",
    "received_at",
    "body",
    "body_encoding",
    "content_type",
    "user_agent",
    "replayed",
}


def attnames(model: type[Model]) -> set[str]:
    return {field.attname for field in model._meta.concrete_fields}


def test_written_columns_follow_the_model() -> None:
    assert field_names(Alert) == set(WRITTEN) | KEY


def test_decided_columns_follow_the_model() -> None:
    # A decision sets none of what a signal says, nor the key.
    assert field_names(Alert) == set(DECIDED) | set(SIGNALLED) | KEY
    assert not set(DECIDED) & set(SIGNALLED)


def test_deciding_read_columns_follow_the_model() -> None:
    assert attnames(Alert) == set(rows.READ_FOR_DECIDING) | NOT_READ_FOR_DECIDING


def test_swept_columns_follow_the_model() -> None:
    assert field_names(Alert) == set(SWEPT) | NOT_SWEPT


def test_processed_payload_columns_follow_the_model() -> None:
    assert field_names(Payload) == set(PROCESSED) | NOT_PROCESSED


@pytest.mark.django_db
def test_a_payload_stored_by_the_intake_has_every_field_a_row_leaves_out_at_its_default(
    sources: dict[str, IssuedSecret],
) -> None:
    source = sources["alertmanager"].source

    payload_id = rows.insert_payload_of({"received_at": clock.now(), "body": "{}"}, source_id=source.pk)

    payload = Payload.objects.get(pk=payload_id)
    assert (payload.source, payload.endpoint, payload.status, payload.signals) == (source, "alerts", "pending", 0)
    assert (payload.error, payload.processed_at, payload.replayed) == ("", None, False)


@pytest.mark.django_db
def test_the_intake_stores_nothing_for_an_unknown_secret_and_refuses_unknown_fields(
    sources: dict[str, IssuedSecret],
) -> None:
    values: dict[str, Any] = {"received_at": clock.now(), "body": "{}", "status": PayloadStatus.PENDING}

    unknown = rows.insert_payload(values, token_hash="0" * 64, kind="alertmanager")

    assert unknown is None
    assert not Payload.objects.exists()
    with pytest.raises(TypeError, match="no field colour"):
        rows.insert_payload_of({**values, "colour": "red"}, source_id=sources["alertmanager"].source.pk)


def test_new_alerts_start_at_the_models_defaults_with_containers_of_their_own() -> None:
    one, two = rows.new_alert({"identity": "a"}), rows.new_alert({"identity": "b"})
    one.labels["env"] = "prod"
    one.recent_changes.append(1)

    assert (two.labels, two.recent_changes, two.links) == ({}, [], [])
    assert (two.identity, two.status, two.occurrences, two.needs_decision, two.pk) == (
        "b",
        AlertStatus.FIRING,
        1,
        True,
        None,
    )


@pytest.mark.django_db
def test_an_event_row_leaves_out_what_it_does_not_say(disk_full: dict[str, Alert]) -> None:
    alert = disk_full["db1"]

    rows.insert_alert_events([{"alert_id": alert.pk, "at": clock.now(), "kind": AlertEventKind.STEADY}])

    event = AlertEvent.objects.get(alert=alert, kind=AlertEventKind.STEADY)
    assert (event.payload_id, event.incident_id, event.note) == (None, None, "")
