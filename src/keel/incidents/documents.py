"""The incident as the API shows it: one shape, rendered by the database for reads and by Python
for the answer to a create.

Reads (list, detail, the answer to a change) ask the database for each incident as JSON text,
nested records included, and send that text on untouched. Decoding rows into Python objects, then
validating and encoding them again cost ~4 ms of a 50-row page, several times the database's
work. A create answers from the incident it just wrote, held in memory, so it never reads back:
``incident_json`` renders that one in Python. ``FIELDS`` drives both renderings, and a test holds
them to the same bytes' worth of JSON.
"""

from collections.abc import Callable, Mapping
from typing import Any, Final

from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.expressions import RawSQL

from keel.accounts.models import Team, User
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.models import NUMBER_PREFIX, Category, Incident, number_for
from keel.incidents.states import Level
from keel.lib.api import iso_utc
from keel.lib.sqljson import iso_utc_sql, json_flag_sql
from keel.sla.queries import incident_clock_rows, incident_sla_sql, sla_json, sla_json_text

TABLE: Final = Incident._meta.db_table

# The API's field order (IncidentOut), each with how it is rendered:
#   value: the column as stored; flag: a JSON boolean; time: ISO 8601 UTC with microseconds;
#   level: high/medium/low; priority: P1-P5; number: INC0000042 from a primary key;
#   person/team/named: the related record as a small object, or null.
FIELDS: Final = (
    ("number", "number", "id"),
    ("title", "value", "title"),
    ("description", "value", "description"),
    ("state", "value", "state"),
    ("hold_reason", "value", "hold_reason"),
    ("impact", "level", "impact"),
    ("urgency", "level", "urgency"),
    ("priority", "priority", "priority"),
    ("channel", "value", "channel"),
    ("caller", "person", "caller_id"),
    ("opened_by", "person", "opened_by_id"),
    ("category", "named", "category_id"),
    ("subcategory", "named", "subcategory_id"),
    ("service", "named", "service_id"),
    ("ci", "named", "ci_id"),
    ("assignment_group", "team", "assignment_group_id"),
    ("assignee", "person", "assignee_id"),
    ("resolution_code", "value", "resolution_code"),
    ("resolution_notes", "value", "resolution_notes"),
    ("parent", "number", "parent_id"),
    ("reassignment_count", "value", "reassignment_count"),
    ("reopen_count", "value", "reopen_count"),
    ("first_contact_resolution", "flag", "first_contact_resolution"),
    ("opened_at", "time", "opened_at"),
    ("first_response_at", "time", "first_response_at"),
    ("resolved_at", "time", "resolved_at"),
    ("closed_at", "time", "closed_at"),
    ("updated_at", "time", "updated_at"),
    ("version", "value", "version"),
)

RELATED_TABLES: Final = {
    "person": User._meta.db_table,
    "team": Team._meta.db_table,
    "named": None,  # the table depends on the column: see _NAMED_TABLES
}
_NAMED_TABLES: Final = {
    "category_id": Category._meta.db_table,
    "subcategory_id": Category._meta.db_table,
    "service_id": Service._meta.db_table,
    "ci_id": ConfigurationItem._meta.db_table,
}
_RELATED_FIELDS: Final = {
    "person": (("id", "r.id"), ("username", "r.username"), ("name", "COALESCE(NULLIF(r.name, ''), r.username)")),
    "team": (("id", "r.id"), ("slug", "r.slug"), ("name", "r.name")),
    "named": (("id", "r.id"), ("name", "r.name")),
}


# --- the database renders reads ------------------------------------------------------------


def incident_json_sql() -> RawSQL:
    """An incident's API JSON text, as an expression to annotate a query of incidents with."""
    return RawSQL(_document_sql(), (), output_field=TextField())


def incident_json_rows(incidents: QuerySet[Incident]) -> list[str]:
    """Each incident of the query (in its order) as the API's JSON text, in one statement."""
    rows = incidents.annotate(json=incident_json_sql(), **incident_sla_sql(TABLE))
    return [with_sla(text, sla, running) for text, sla, running in rows.values_list("json", "sla", "sla_running")]


def incident_json_with_version(incidents: QuerySet[Incident]) -> tuple[str, int] | None:
    """The first incident of the query as JSON text, with its version (for the ETag)."""
    annotated = incidents.annotate(json=incident_json_sql(), **incident_sla_sql(TABLE))
    found = annotated.values_list("json", "version", "sla", "sla_running").first()
    return None if found is None else (with_sla(found[0], found[2], found[3]), found[1])


def with_sla(text: str, sla: str | None, running: str | None) -> str:
    """Close the database's JSON text with the ``sla`` list: a running clock's business seconds up
    to now take the calendar arithmetic (sla.clock), so Python renders those figures only."""
    return f'{text[:-1]}, "sla": {sla_json_text(sla, running)}}}'


def _document_sql() -> str:
    postgres = connection.vendor == "postgresql"
    build = "json_build_object" if postgres else "json_object"
    render = _POSTGRES if postgres else _SQLITE
    pairs = ", ".join(f"'{key}', {render[kind](column)}" for key, kind, column in FIELDS)
    # json, not jsonb: jsonb would sort the keys. ::text so psycopg hands the text over undecoded.
    return f"{build}({pairs})::text" if postgres else f"{build}({pairs})"


def _column(column: str) -> str:
    return f"{TABLE}.{column}"


def _related(build: str) -> Callable[[str, str], str]:
    def render(kind: str, column: str) -> str:
        table = RELATED_TABLES[kind] or _NAMED_TABLES[column]
        pairs = ", ".join(f"'{key}', {value}" for key, value in _RELATED_FIELDS[kind])
        return f"(SELECT {build}({pairs}) FROM {table} r WHERE r.id = {_column(column)})"

    return render


def _level_sql(column: str) -> str:
    cases = " ".join(f"WHEN {level.value} THEN '{level.label}'" for level in Level)
    return f"CASE {_column(column)} {cases} END"


def _per_kind(build: str, **specific: Callable[[str], str]) -> Mapping[str, Callable[[str], str]]:
    related = _related(build)
    return {
        "value": _column,
        "level": _level_sql,
        "priority": lambda column: f"'P' || {_column(column)}",
        "person": lambda column: related("person", column),
        "team": lambda column: related("team", column),
        "named": lambda column: related("named", column),
        "time": lambda column: iso_utc_sql(_column(column)),
        "flag": lambda column: json_flag_sql(_column(column)),
        **specific,
    }


_POSTGRES: Final = _per_kind(
    "json_build_object",
    # lpad would cut an eighth digit: pad only up to seven.
    number=lambda column: (
        f"'{NUMBER_PREFIX}' || lpad({_column(column)}::text, greatest(7, length({_column(column)}::text)), '0')"
    ),
)

_SQLITE: Final = _per_kind(
    "json_object",
    number=lambda column: (
        f"CASE WHEN {_column(column)} IS NULL THEN NULL ELSE printf('{NUMBER_PREFIX}%07d', {_column(column)}) END"
    ),
)


# --- Python renders the answer to a create --------------------------------------------------


def incident_json(incident: Incident) -> dict[str, Any]:
    """The API shape of an incident held in memory with its relations loaded (as ``open_incident``
    returns it): what the database would render, without reading it back."""
    rendered = {key: _PYTHON[kind](incident, column) for key, kind, column in FIELDS}
    return {**rendered, "sla": sla_json(incident_clock_rows(incident.pk))}


_RELATED_PYTHON: Final[Mapping[str, Callable[[Any], dict[str, Any]]]] = {
    "person": lambda user: {"id": user.pk, "username": user.username, "name": user.name or user.username},
    "team": lambda team: {"id": team.pk, "slug": team.slug, "name": team.name},
    "named": lambda row: {"id": row.pk, "name": row.name},
}


def _related_json(kind: str) -> Callable[[Incident, str], dict[str, Any] | None]:
    def render(incident: Incident, column: str) -> dict[str, Any] | None:
        record = getattr(incident, column.removesuffix("_id"))
        return None if record is None else _RELATED_PYTHON[kind](record)

    return render


def _time(incident: Incident, column: str) -> str | None:
    value = getattr(incident, column)
    return None if value is None else iso_utc(value)


def _number(incident: Incident, column: str) -> str | None:
    value = getattr(incident, column)
    return None if value is None else number_for(value)


_PYTHON: Final[Mapping[str, Callable[[Incident, str], Any]]] = {
    "value": lambda incident, column: _plain(getattr(incident, column)),
    "flag": lambda incident, column: bool(getattr(incident, column)),
    "level": lambda incident, column: Level(getattr(incident, column)).label,
    "priority": lambda incident, column: f"P{getattr(incident, column)}",
    "number": _number,
    "time": _time,
    "person": _related_json("person"),
    "team": _related_json("team"),
    "named": _related_json("named"),
}


def _plain(value: Any) -> Any:
    # TextChoices members are str subclasses; the JSON wants the plain value.
    return value.value if hasattr(value, "value") else value
