"""The SLA speed layer reads and writes what the ORM would: its column lists follow the models."""

from typing import Any, Final

from django.db.models import Model

from keel.incidents.actions._sla import facts_of
from keel.incidents.models import Incident
from keel.sla.models import CalendarVersion, Clock, Policy
from keel.sla.rows import CURRENT_FIELDS, match_policy

# The clock fields the incident documents and list do not show.
NOT_SHOWN: Final = {
    "id",
    "incident_id",  # the statement's key, read first
    "is_current",  # its filter
    "policy",  # shown by name (policy_name)
    "calendar",  # counted with through the calendar version
    "thresholds",  # warnings are the sweep's
    *("started_at", "ended_at", "next_at"),  # the record page's panel reads the whole row
    *("priority", "service_id", "group_id"),  # for reports
}


def test_current_clock_columns_follow_the_model() -> None:
    fields = sorted(field.name for field in Clock._meta.concrete_fields)

    # Each field once: shown, or left out (a list, so a field in both fails too).
    assert fields == sorted([*CURRENT_FIELDS, *NOT_SHOWN]), "name the new field in rows.CURRENT_FIELDS or NOT_SHOWN"


def _values(row: Model) -> list[Any]:
    return [getattr(row, field.attname) for field in type(row)._meta.concrete_fields]


def test_the_policy_match_reads_the_policy_and_its_calendar_as_the_orm_does(
    incident: Incident, policies: dict[int, Policy]
) -> None:
    matched = match_policy(facts_of(incident))

    assert matched is not None
    stored = Policy.objects.select_related("calendar").get(pk=matched.pk)
    current = CalendarVersion.objects.get(calendar=stored.calendar, number=stored.calendar.version)
    assert (_values(matched), _values(matched.calendar)) == (_values(stored), _values(stored.calendar))
    assert matched.current_version_id == current.pk  # type: ignore[attr-defined]
