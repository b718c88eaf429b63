"""The incident as the API shows it: one shape, one renderer, for every read and every answer.

Reads fetch each incident's columns as plain values (``select_list``; the timestamps already in the
API's text, ``lib.sql.api_time``), then the records they name and their SLA clocks in one more
statement, and build the documents in Python. The answer
to a create renders the incident it just wrote, held in memory, the same way without reading it
back. Measured on the list at 1M incidents (bench/README.md): the database building each row's
JSON with a subquery per related record cost it ~4.5 ms a page; plain rows cost it ~0.6 ms and
Python ~1 ms to render.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any, Final

from django.db.models import Choices

from keel.accounts.models import Team, User
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.models import Category, Incident, number_for
from keel.incidents.states import Level
from keel.lib.api import iso_utc
from keel.lib.sql import api_time, fetch, in_values
from keel.sla.queries import clock_entries, current_clock_entries
from keel.sla.rows import CLOCK_COLUMNS, current_clocks_sql

# The API's field order (IncidentOut), each with how it is rendered:
#   value: the column as stored; flag: a JSON boolean; time: ISO 8601 UTC with microseconds (as the
#   database writes it for a read, lib.api.iso_utc for a record in memory);
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
COLUMNS: Final = tuple(column for _, _, column in FIELDS)

# The table each related record comes from, and how it is shown.
_TABLE_OF: Final = {
    "caller_id": User._meta.db_table,
    "opened_by_id": User._meta.db_table,
    "assignee_id": User._meta.db_table,
    "assignment_group_id": Team._meta.db_table,
    "category_id": Category._meta.db_table,
    "subcategory_id": Category._meta.db_table,
    "service_id": Service._meta.db_table,
    "ci_id": ConfigurationItem._meta.db_table,
}
# (id, a, b) of each related table, as read by _RELATED_SQL and shown by _SHOWN.
_RELATED_COLUMNS: Final = {
    User._meta.db_table: "id, username, COALESCE(NULLIF(name, ''), username)",
    Team._meta.db_table: "id, slug, name",
    Category._meta.db_table: "id, '', name",
    Service._meta.db_table: "id, '', name",
    ConfigurationItem._meta.db_table: "id, '', name",
}
_SHOWN: Final[Mapping[str, Callable[[int, str, str], dict[str, Any]]]] = {
    "person": lambda pk, username, name: {"id": pk, "username": username, "name": name},
    "team": lambda pk, slug, name: {"id": pk, "slug": slug, "name": name},
    "named": lambda pk, _, name: {"id": pk, "name": name},
}
_SHOWN_OF_TABLE: Final = {_TABLE_OF[column]: _SHOWN[kind] for _, kind, column in FIELDS if column in _TABLE_OF}
_LEVELS: Final = {level.value: level.label for level in Level}

Related = Mapping[str, Mapping[int, dict[str, Any]]]  # table → id → the record as shown
Row = Sequence[Any]


@cache
def select_list() -> str:
    """The columns a document is rendered from, over alias ``i`` (timestamps as the API's text)."""
    return ", ".join(api_time(f"i.{column}") if kind == "time" else f"i.{column}" for _, kind, column in FIELDS)


def render(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Each row (``select_list``'s columns) as the API's document: the records the rows name and
    their current SLA clocks are read in one more statement."""
    if not rows:
        return []
    related, clocks = _related_and_clocks(rows)
    plan = _plan_for(related, _READ_PLAN)
    return [_document(row, plan, clocks.get(row[0], [])) for row in rows]


def documents_where(condition: str, params: Sequence[object]) -> list[dict[str, Any]]:
    """The documents of the incidents matching a condition over alias ``i`` (a detail read)."""
    return render(fetch(f"SELECT {select_list()} FROM {Incident._meta.db_table} i WHERE {condition}", params))


def incident_document(incident: Incident) -> dict[str, Any]:
    """The document of an incident held in memory with its relations loaded (as ``open_incident``
    returns it): what a read would show, without reading the incident back."""
    # TextChoices members are str subclasses: the document wants the plain values a read gives.
    row = [_plain(getattr(incident, column)) for column in COLUMNS]
    related: dict[str, dict[int, dict[str, Any]]] = {}
    for _, kind, column in FIELDS:
        table = _TABLE_OF.get(column)
        record = getattr(incident, column.removesuffix("_id")) if table is not None else None
        if table is not None and record is not None:
            related.setdefault(table, {})[record.pk] = _SHOWN[kind](*_shown_of(kind, record))
    plan = _plan_for(related, _MEMORY_PLAN)
    return _document(row, plan, current_clock_entries([incident.pk]).get(incident.pk, []))


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Choices) else value


def _shown_of(kind: str, record: Any) -> tuple[int, str, str]:
    if kind == "person":
        return record.pk, record.username, record.name or record.username
    if kind == "team":
        return record.pk, record.slug, record.name
    return record.pk, "", record.name


def _related_and_clocks(rows: Iterable[Row]) -> tuple[Related, dict[int, list[dict[str, Any]]]]:
    """The records the rows name (a branch per table) and the rows' SLA clocks, in one UNION ALL:
    every round trip to the database costs both sides CPU, and a list page made five."""
    rows = list(rows)
    wanted: dict[str, set[int]] = {}
    for table, indexes in _RELATED_INDEXES.items():
        ids = {row[index] for index in indexes for row in rows}
        ids.discard(None)
        if ids:
            wanted[table] = ids
    clocks_sql, params = current_clocks_sql([row[0] for row in rows])
    parts = [f"SELECT 'clock', {clocks_sql.removeprefix('SELECT ')}"]
    padding = ", NULL" * (CLOCK_COLUMNS - 3)  # a related record's branch: (table, id, a, b, NULL…)
    for table, ids in wanted.items():
        condition, values = in_values("id", sorted(ids))
        parts.append(f"SELECT '{table}', {_RELATED_COLUMNS[table]}{padding} FROM {table} WHERE {condition}")
        params.extend(values)
    related: dict[str, dict[int, dict[str, Any]]] = {table: {} for table in wanted}
    clocks: list[tuple[Any, ...]] = []
    for found in fetch(" UNION ALL ".join(parts), params):
        kind = found[0]
        if kind == "clock":
            clocks.append(found[1:])
        else:
            related[kind][found[1]] = _SHOWN_OF_TABLE[kind](found[1], found[2], found[3])
    return related, clock_entries(clocks)


# table → the row indexes of the columns that name its records
_RELATED_INDEXES: Final = {
    table: [index for index, column in enumerate(COLUMNS) if _TABLE_OF.get(column) == table]
    for table in dict.fromkeys(_TABLE_OF.values())
}

Plan = Sequence[tuple[str, int, Callable[[Any], Any]]]  # the fields not shown as read
_KEYS: Final = tuple(key for key, _, _ in FIELDS)


def _document(row: Row, plan: Plan, sla: list[dict[str, Any]]) -> dict[str, Any]:
    # Every field as read in one C call, then the dozen that are shown otherwise: a Python step
    # per field was half of a page's rendering.
    document = dict(zip(_KEYS, row, strict=True))
    for key, index, show in plan:
        if (value := row[index]) is not None:
            document[key] = show(value)
    document["sla"] = sla
    return document


# How each kind of value is shown; a plain value goes out as read (None). Builtins and bound
# methods where they do: a Python call per field was a tenth of a page's rendering.
_RENDER: Final[Mapping[str, Callable[[Any], Any] | None]] = {
    "value": None,
    "flag": bool,
    "level": _LEVELS.__getitem__,
    "priority": lambda value: f"P{value}",
    "number": number_for,
    "time": None,  # a read's timestamps come as the API's text
}
_IN_MEMORY: Final[Mapping[str, Callable[[Any], Any] | None]] = {**_RENDER, "time": iso_utc}

# (key, row index, the related table or None, how to show a plain value)
type BasePlan = tuple[tuple[str, int, str | None, Callable[[Any], Any] | None], ...]


def _base_plan(render: Mapping[str, Callable[[Any], Any] | None]) -> BasePlan:
    return tuple(
        (key, index, _TABLE_OF.get(column), None if column in _TABLE_OF else render[kind])
        for index, (key, kind, column) in enumerate(FIELDS)
    )


_READ_PLAN: Final = _base_plan(_RENDER)
_MEMORY_PLAN: Final = _base_plan(_IN_MEMORY)
_NO_RECORDS: Final[Mapping[int, dict[str, Any]]] = {}


def _plan_for(related: Related, base: BasePlan) -> Plan:
    """A base plan for one page: a related field shows its record of ``related`` (a dict's own
    get), a plain value its rendering; the values shown as read are not in the plan."""
    plan: list[tuple[str, int, Callable[[Any], Any]]] = []
    for key, index, table, show in base:
        if table is not None:
            plan.append((key, index, related.get(table, _NO_RECORDS).get))
        elif show is not None:
            plan.append((key, index, show))
    return plan
