"""The hand-written SQL of incidents (DESIGN §4.8): the list page with its capped count, the reads
the API's documents are rendered from, and the INSERT of a new incident. What the statements
mean — the filters (``queries/listing.py``), who may see what (``queries/records.viewer_of``), how
a row becomes the API's document (``queries/documents.py``) — is decided there; here it is only
said in SQL, the same on SQLite and PostgreSQL. Columns are named by the model's fields.

The list is the read every agent and API client makes all day: composed with the ORM, building
its statement cost as much CPU as the database's answer. The filters' values, the page's bounds
and the user's id are written into the statement (``lib.sql.in_literals``; a text search stays a
parameter), so PostgreSQL plans it once per connection instead of on every run. The measurements:
bench/README.md, "Why the speed layer looks as it does".
"""

from collections.abc import Collection, Mapping, Sequence
from functools import cache
from typing import Any, Final, cast

from django.db.models import BooleanField, DateTimeField, Model
from django.db.models.expressions import RawSQL

from keel.accounts.models import Team, User
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.models import Category, Incident, PriorityRule, pk_from_number
from keel.incidents.queries.listing import IncidentFilters
from keel.incidents.states import IncidentOrder
from keel.lib.database import postgres
from keel.lib.paging import COUNT_CAP, Page
from keel.lib.sql import api_time, fetch, in_literals, in_values, insert_instance
from keel.sla.rows import CLOCK_COLUMNS, current_clocks_sql

TABLE: Final = Incident._meta.db_table
WATCHERS: Final = Incident.watchers.through._meta.db_table

# Each order ends with the id, so that pages never overlap; every list index ends the same way.
ORDERINGS: Final[Mapping[IncidentOrder, str]] = {
    IncidentOrder.NEWEST: "i.opened_at DESC, i.id DESC",
    IncidentOrder.OLDEST: "i.opened_at ASC, i.id ASC",
    IncidentOrder.HIGHEST_PRIORITY: "i.priority ASC, i.opened_at DESC, i.id DESC",
    IncidentOrder.LOWEST_PRIORITY: "i.priority DESC, i.opened_at DESC, i.id DESC",
    IncidentOrder.RECENTLY_UPDATED: "i.updated_at DESC, i.id DESC",
}

Condition = tuple[str, list[object]]
Row = tuple[Any, ...]


def visible_to(viewer_id: int | None, alias: str = "i") -> Condition:
    """The incidents this person called in or watches; all of them for ``None`` (someone who may
    see every incident, as ``queries.records.viewer_of`` decides)."""
    if viewer_id is None:
        return "1 = 1", []
    watched = f"SELECT w.incident_id FROM {WATCHERS} w WHERE w.user_id = {int(viewer_id)}"
    return f"({alias}.caller_id = {int(viewer_id)} OR {alias}.id IN ({watched}))", []


def visible_filter(viewer_id: int) -> RawSQL:
    """``visible_to`` as a condition for an ORM query on incidents."""
    condition, params = visible_to(viewer_id, alias=TABLE)
    return RawSQL(condition, params, output_field=BooleanField())


def matching(viewer_id: int | None, filters: IncidentFilters) -> Condition:
    """The WHERE clause (over alias ``i``) of the incidents the viewer may see that pass the filters."""
    conditions = [visible_to(viewer_id)]
    for column, values in (
        ("i.state", [str(state) for state in filters.states]),
        ("i.priority", [int(priority) for priority in filters.priorities]),
        ("i.assignment_group_id", list(filters.assignment_group_ids)),
        ("i.assignee_id", list(filters.assignee_ids)),
    ):
        if values:
            conditions.append((in_literals(column, values), []))
    if filters.unassigned:
        conditions.append(("i.assignee_id IS NULL", []))
    if filters.text:
        conditions.append(_text_condition(filters.text))
    return " AND ".join(sql for sql, _ in conditions), [param for _, params in conditions for param in params]


def _text_condition(text: str) -> Condition:
    number = pk_from_number(text)
    if number is not None:
        return "i.id = %s", [number]
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    # As Django writes icontains: SQLite's LIKE ignores ASCII case by itself.
    if postgres():
        return "UPPER(i.title::text) LIKE UPPER(%s)", [pattern]
    return "i.title LIKE %s ESCAPE '\\'", [pattern]


@cache
def select_list(columns: tuple[str, ...]) -> str:
    """These columns (Incident's attribute names) over alias ``i``, each timestamp as the API's text
    (``lib.sql.api_time``): what a page or a document is read as."""
    fields = {field.attname: field for field in Incident._meta.concrete_fields}
    selected = [(fields[name], f"i.{fields[name].column}") for name in columns]
    return ", ".join(api_time(column) if isinstance(field, DateTimeField) else column for field, column in selected)


def page_rows(where: Condition, *, columns: str, order: IncidentOrder, offset: int, limit: int) -> list[Row]:
    """The page's rows (``columns`` over alias ``i``), each ending with the capped count of all matches.

    The page's ids come from the index alone, then only those rows are read: asked for the page
    directly, PostgreSQL read every match from the table to sort them when the filter spanned
    several index ranges (open P1/P2 at 1M: 2,000 rows for 50). The count is a scalar subquery
    without correlation, evaluated once per statement.
    """
    condition, params = where
    order_sql = ORDERINGS[order]
    cap, limit, offset = int(offset + COUNT_CAP + 1), int(limit), int(offset)
    count = f"(SELECT COUNT(*) FROM (SELECT 1 FROM {TABLE} i WHERE {condition} LIMIT {cap}) capped)"
    ids = f"SELECT i.id FROM {TABLE} i WHERE {condition} ORDER BY {order_sql} LIMIT {limit} OFFSET {offset}"
    sql = f"SELECT {columns}, {count} FROM {TABLE} i WHERE i.id IN ({ids}) ORDER BY {order_sql}"
    return fetch(sql, [*params, *params])


def count_alone(where: Condition, *, offset: int) -> int:
    """The capped count when the page is past the last match (no row carries it)."""
    condition, params = where
    sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {TABLE} i WHERE {condition} LIMIT {int(offset + COUNT_CAP + 1)}) capped"
    ((count,),) = fetch(sql, params)
    return int(count)


def page_of(
    viewer_id: int | None, filters: IncidentFilters, *, columns: Sequence[str], offset: int, limit: int
) -> Page[Row]:
    """One page of rows (``select_list(columns)``) of the incidents the viewer may see that pass the
    filters, counted up to COUNT_CAP past its start."""
    where = matching(viewer_id, filters)
    rows = page_rows(where, columns=select_list(tuple(columns)), order=filters.order, offset=offset, limit=limit)
    ceiling = offset + COUNT_CAP
    # Past the last match no row carries the count: count alone (someone paging beyond the end).
    past_end = count_alone(where, offset=offset) if offset else 0
    count = cast(int, rows[0][-1]) if rows else past_end
    items = [row[:-1] for row in rows]
    return Page(items=items, count=min(count, ceiling), count_is_capped=count > ceiling, offset=offset, limit=limit)


def rows_by_id(pk: int, *, viewer_id: int | None, columns: Sequence[str]) -> list[Row]:
    """The incident's row (``select_list(columns)``) if the viewer may see it; none otherwise."""
    condition, params = visible_to(viewer_id)
    sql = f"SELECT {select_list(tuple(columns))} FROM {TABLE} i WHERE i.id = %s AND {condition}"
    return fetch(sql, [pk, *params])


# What a document shows of each record an incident names, as (id, a, b): a person's username and
# name (their username when they have none), a team's slug and name, anything else its name.
SHOWN_COLUMNS: Final[Mapping[type[Model], str]] = {
    User: "id, username, COALESCE(NULLIF(name, ''), username)",
    Team: "id, slug, name",
    Category: "id, '', name",
    Service: "id, '', name",
    ConfigurationItem: "id, '', name",
}

Record = tuple[type[Model], int, str, str]  # (model, id, a, b)


def records_and_clocks(
    wanted: Mapping[type[Model], Collection[int]], incident_ids: Sequence[int]
) -> tuple[list[Record], list[Row]]:
    """The records of each model with these ids (``SHOWN_COLUMNS``) and the incidents' current SLA
    clock rows (``sla.rows.current_clocks_sql``), in one UNION ALL: every round trip to the
    database costs both sides CPU, and a list page made five."""
    clocks_sql, params = current_clocks_sql(list(incident_ids))
    parts = [f"SELECT 'clock', {clocks_sql.removeprefix('SELECT ')}"]
    padding = ", NULL" * (CLOCK_COLUMNS - 3)  # a related record's branch: (table, id, a, b, NULL…)
    by_table: dict[str, type[Model]] = {}
    for model, ids in wanted.items():
        table = model._meta.db_table
        by_table[table] = model
        condition, values = in_values("id", sorted(ids))
        parts.append(f"SELECT '{table}', {SHOWN_COLUMNS[model]}{padding} FROM {table} WHERE {condition}")
        params.extend(values)
    records: list[Record] = []
    clocks: list[Row] = []
    for found in fetch(" UNION ALL ".join(parts), params):
        if found[0] == "clock":
            clocks.append(found[1:])
        else:
            records.append((by_table[found[0]], found[1], found[2], found[3]))
    return records, clocks


def insert_incident(incident: Incident) -> Incident:
    """INSERT a new incident built in memory and set its id: ``save()`` cost a create a quarter of its CPU."""
    return insert_instance(incident)


def matrix_priority(impact: int, urgency: int) -> int | None:
    """The priority matrix's cell for this impact and urgency, or None when the cell is missing.

    By hand: every incident opened asks, and the ORM's lookup was a sixth of a create's CPU
    (bench/README.md)."""
    found = fetch(_PRIORITY, [impact, urgency])
    return int(found[0][0]) if found else None


_PRIORITY: Final = f"SELECT priority FROM {PriorityRule._meta.db_table} WHERE impact = %s AND urgency = %s"
