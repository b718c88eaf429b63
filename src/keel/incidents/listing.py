"""Incident lists as SQL written by hand: who may see what, the filters, the orders, and one page
with its capped count in one statement. The console's queues and the API's list share it.

The list is the read every agent and API client makes all day. Composed with the ORM, the page's
statement took 0.7 ms of CPU to build, as long as the database took to answer it; here it is a
few string joins.

The filters' values (ids, states, priorities), the page's bounds and the user's id are written
into the statement (``lib.sql.in_literals``), only a text search goes as a parameter: PostgreSQL
re-planned the page statement on every run while it had parameters (its generic plan, which
cannot see the values, looked worse), half of the statement's database time; a statement without
parameters is planned once per connection when psycopg prepares it. A user's queues and filters
repeat, so their few statements stay prepared.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, cast

from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.incidents.models import Incident, pk_from_number
from keel.incidents.states import IncidentState, Priority
from keel.lib.database import postgres
from keel.lib.sql import fetch, in_literals

TABLE: Final = Incident._meta.db_table
WATCHERS: Final = Incident.watchers.through._meta.db_table

# Counting every match of a broad filter over a million rows is the peers' slowest habit. We count
# at most this many past the page's start and then say so ("1,000+"): twenty pages of 50 is more
# than anyone pages through before filtering, and counting 10,000 index entries cost more database
# time than the rest of the request (2-4 ms at 1M incidents).
COUNT_CAP: Final = 1_000

# Each order ends with the id, so that pages never overlap; every list index ends the same way.
ORDERINGS: Final = {
    "-opened_at": "i.opened_at DESC, i.id DESC",
    "opened_at": "i.opened_at ASC, i.id ASC",
    "priority": "i.priority ASC, i.opened_at DESC, i.id DESC",
    "-priority": "i.priority DESC, i.opened_at DESC, i.id DESC",
    "-updated_at": "i.updated_at DESC, i.id DESC",
}


@dataclass(frozen=True)
class IncidentFilters:
    states: Sequence[IncidentState] = ()
    priorities: Sequence[Priority] = ()
    assignment_group_ids: Sequence[int] = ()
    assignee_ids: Sequence[int] = ()
    unassigned: bool = False
    text: str = ""
    order: str = "-opened_at"


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    count: int
    count_is_capped: bool
    offset: int
    limit: int


Condition = tuple[str, list[object]]


def visible_to(user: User, alias: str = "i") -> Condition:
    """The incidents this user may see: all of them for staff, else those they called in or watch."""
    if user.can(Capability.VIEW_ALL_INCIDENTS):
        return "1 = 1", []
    watched = f"SELECT w.incident_id FROM {WATCHERS} w WHERE w.user_id = {int(user.pk)}"
    return f"({alias}.caller_id = {int(user.pk)} OR {alias}.id IN ({watched}))", []


def matching(user: User, filters: IncidentFilters) -> Condition:
    """The WHERE clause (over alias ``i``) of the incidents the user may see that pass the filters."""
    conditions = [visible_to(user)]
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


def page_rows(where: Condition, *, columns: str, order: str, offset: int, limit: int) -> list[tuple[object, ...]]:
    """The page's rows (``columns`` over alias ``i``), each ending with the capped count of all matches.

    The page's ids come from the index alone, then only those rows are read: asked for the page
    directly, PostgreSQL read every match from the table to sort them when the filter spanned
    several index ranges (open P1/P2 at 1M: 2,000 rows for 50). The count is a scalar subquery
    without correlation, evaluated once per statement.
    """
    condition, params = where
    order_sql = ORDERINGS.get(order, ORDERINGS["-opened_at"])
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


def page_of(user: User, filters: IncidentFilters, *, columns: str, offset: int, limit: int) -> Page[tuple[object, ...]]:
    """One page of rows of the incidents this user may see, counted up to COUNT_CAP past its start."""
    where = matching(user, filters)
    rows = page_rows(where, columns=columns, order=filters.order, offset=offset, limit=limit)
    ceiling = offset + COUNT_CAP
    # Past the last match no row carries the count: count alone (someone paging beyond the end).
    past_end = count_alone(where, offset=offset) if offset else 0
    count = cast(int, rows[0][-1]) if rows else past_end
    items = [row[:-1] for row in rows]
    return Page(items=items, count=min(count, ceiling), count_is_capped=count > ceiling, offset=offset, limit=limit)
