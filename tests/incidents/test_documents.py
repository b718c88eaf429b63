"""The incident's API document: a read (columns from the database) and a create's answer (the
incident in memory) must be the same JSON, field for field, on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import orjson

from keel.cmdb.models import CIType, ConfigurationItem, Service
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Category, Incident
from keel.incidents.queries.documents import COLUMNS, FIELDS, NOT_SHOWN, RELATED, document_of, incident_document
from keel.incidents.queries.records import attach_related
from keel.incidents.rows import SHOWN_COLUMNS
from keel.incidents.schemas import IncidentOut
from keel.incidents.states import Level
from keel.lib.clock import frozen_at
from tests.incidents.helpers import open_resolved


def _both_renderings(incident: Incident) -> tuple[dict[str, object], dict[str, object]]:
    fresh = Incident.objects.get(pk=incident.pk)
    attach_related([fresh])
    by_database = document_of(incident)
    # Through JSON, as the API sends them: both must encode to the same text.
    return orjson.loads(orjson.dumps(by_database)), orjson.loads(orjson.dumps(incident_document(fresh)))


def test_a_fully_filled_incident_renders_the_same_in_the_database_and_in_python(agent, requester, service_desk):
    hardware = Category.objects.create(name="Hardware")
    printers = Category.objects.create(name="Printers", parent=hardware)
    parent = open_incident(actor=agent, caller=requester, title="All printers offline")
    # A whole second: SQLite stores it without a fraction, the API still shows six digits.
    with frozen_at(datetime(2026, 3, 1, 9, 30, tzinfo=UTC)):
        child = open_incident(
            actor=agent,
            caller=requester,
            title='Printer "P-3" jams \\ again',
            description="Line one\nline two — ünïcode",
            impact=Level.HIGH,
            urgency=Level.MEDIUM,
            category=hardware,
            subcategory=printers,
            service=Service.objects.create(name="Printing"),
            ci=ConfigurationItem.objects.create(name="printer-p3", ci_type=CIType.objects.get(slug="server")),
            assignment_group=service_desk,
            assignee=agent,
            parent=parent,
        )

    by_database, by_python = _both_renderings(child)

    assert by_database == by_python
    assert list(by_database) == [*(key for key, _, _ in FIELDS), "sla"]
    assert list(by_database) == list(by_python) == list(IncidentOut.model_fields)
    assert by_database["opened_at"] == "2026-03-01T09:30:00.000000Z"
    assert (by_database["parent"], by_database["priority"], by_database["impact"]) == (parent.number, "P2", "high")
    assert by_database["assignment_group"] == {"id": service_desk.pk, "slug": "service-desk", "name": "Service Desk"}
    IncidentOut.model_validate(by_database)


def test_a_resolved_incident_renders_its_flags_and_times_the_same(agent, requester, service_desk):
    resolved = open_resolved(agent, requester, service_desk)

    by_database, by_python = _both_renderings(resolved)

    assert by_database == by_python
    assert by_database["resolved_at"] is not None
    assert by_database["first_contact_resolution"] in (True, False)
    assert by_database["category"] is None
    IncidentOut.model_validate(by_database)


def test_numbers_past_seven_digits_keep_every_digit(agent, requester):
    incident = open_incident(actor=agent, caller=requester, title="Far down the sequence")
    Incident.objects.filter(pk=incident.pk).update(id=123_456_789)

    rendered = document_of(Incident.objects.get(pk=123_456_789))

    assert rendered["number"] == "INC123456789"


def test_document_columns_follow_the_model():
    """A field added to Incident is either shown by the API (IncidentOut, which the document's
    columns follow) or left out on purpose (NOT_SHOWN, with why): never silently missing."""
    fields = {field.name for field in Incident._meta.concrete_fields}
    shown = {field.name for field in Incident._meta.concrete_fields if field.attname in COLUMNS}
    left_out = set(NOT_SHOWN)

    unnamed = sorted(fields - shown - left_out)
    assert not unnamed, (
        f"Incident's {', '.join(unnamed)} is in neither the API document nor its exclusions: add it to "
        "IncidentOut (incidents/schemas.py; the document's columns follow it) or, saying why, to NOT_SHOWN "
        "(incidents/queries/documents.py)."
    )
    assert left_out <= fields, f"NOT_SHOWN names what Incident no longer has: {sorted(left_out - fields)}"
    assert not shown & left_out, f"NOT_SHOWN names fields the document shows: {sorted(shown & left_out)}"
    assert fields == shown | left_out


def test_the_documents_keys_are_the_schemas_fields(agent, requester, service_desk):
    resolved = open_resolved(agent, requester, service_desk)

    by_database, by_python = _both_renderings(resolved)

    assert list(by_database) == list(by_python) == list(IncidentOut.model_fields)


def test_every_record_the_document_shows_is_read_by_the_speed_layer():
    shown = {model for _, _, _, model in RELATED}

    assert shown == set(SHOWN_COLUMNS), "rows.SHOWN_COLUMNS says how to read each record documents.RELATED shows"
