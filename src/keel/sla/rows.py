"""The SLA speed layer (DESIGN §4.8): the app's only SQL text and its only use of ``lib.sql``, each
on a path with a measured target (bench/README.md): the policy match and the first rows of every
incident opened, the current clocks of the incident documents and list, the sweep's writes.

Column lists come from the models (``columns_of``, ``lib.sql``'s field-based writers), or are held
to them by a drift test (``CURRENT_FIELDS``: tests/sla/test_rows.py).
"""

from collections.abc import Sequence
from functools import cache
from typing import Any, Final

from keel.lib.sql import (
    api_time,
    bulk_update,
    columns_of,
    columns_of_fields,
    epoch_seconds,
    fetch,
    in_literals,
    in_values,
    insert_instances,
    instance_from_row,
)
from keel.sla.facts import IncidentFacts
from keel.sla.models import Calendar, CalendarVersion, Clock, ClockEvent, Policy
from keel.sla.replay import State

# --- the policy match --------------------------------------------------------------------------


def match_policy(facts: IncidentFacts) -> Policy | None:
    """The first active policy, in order, whose every criterion matches (an empty one matches all),
    with its calendar and the calendar's current version id (``current_version_id``).

    Written as SQL: every incident opened runs it, and the ORM cost more CPU to build it than the
    rest of the attach (bench/README.md).
    """
    found = fetch(_MATCH, [facts.priority, facts.service_id, facts.category_id, facts.caller_vip])
    if not found:
        return None
    row = found[0]
    width = len(Policy._meta.concrete_fields)
    policy = instance_from_row(Policy, row[:width])
    policy.calendar = instance_from_row(Calendar, row[width:-1])
    policy.current_version_id = row[-1]  # type: ignore[attr-defined]
    return policy


_MATCH = f"""
    SELECT {columns_of(Policy, "p")}, {columns_of(Calendar, "c")},
        (SELECT v.id FROM {CalendarVersion._meta.db_table} v WHERE v.calendar_id = c.id AND v.number = c.version)
    FROM {Policy._meta.db_table} p JOIN {Calendar._meta.db_table} c ON c.id = p.calendar_id
    WHERE p.is_active
        AND (p.priority IS NULL OR p.priority = %s)
        AND (p.service_id IS NULL OR p.service_id = %s)
        AND (p.category_id IS NULL OR p.category_id = %s)
        AND (p.caller_vip IS NULL OR p.caller_vip = %s)
    ORDER BY p.position, p.id
    LIMIT 1
"""


# --- writes ------------------------------------------------------------------------------------


def insert_clocks(rows: Sequence[Clock]) -> dict[str, int]:
    """Insert the clocks of an incident being opened in one statement; their ids by name.

    One JSON parameter per table: composing the ORM's bulk_create cost more than the insert
    (bench/README.md).
    """
    return {name: pk for pk, name in insert_instances(rows, returning="id, name")}


def insert_events(events: Sequence[ClockEvent]) -> None:
    """Insert clock events in one statement: an opened incident's first events, a sweep's firings
    (the ORM's bulk_create took a third of a sweep composing ~800). A duplicate firing fails on its
    unique constraint, which rolls the caller's transaction back."""
    insert_instances(events)


def write_clocks(rows: Sequence[Clock], fields: Sequence[str]) -> None:
    """Write these fields of many clocks in one statement (a sweep's batch): Django's bulk_update
    builds a CASE chain per column, which cost ~1 s per 500 rows to build and run."""
    bulk_update(Clock, rows, fields)


# --- the current clocks of incidents -----------------------------------------------------------

# The clock fields the incident documents and list read, in ``_current_columns``' order: a drift
# test holds them to the model, so a new field of Clock is shown or left out on purpose.
CURRENT_FIELDS: Final = (
    *("name", "policy_name", "state", "due_at", "target_s", "elapsed_s"),
    *("breached_at", "calendar_version", "elapsed_at"),
)
# The entry keys the values give as they are read (``queries.clock_entries``), in column order.
AS_READ: Final = (
    *("name", "policy", "state", "target_at", "target_seconds"),
    *("business_seconds_elapsed", "business_seconds_left", "breached_at"),
)
CLOCK_COLUMNS: Final = 1 + len(AS_READ) + 2  # the incident id, the values, the version and the instant


@cache
def _current_columns() -> str:
    """A current clock's values over alias ``c``: ``AS_READ`` (the target instant of a running
    clock only, the seconds left as stored, times as the API writes them), then its calendar
    version and the instant it last counted, as epoch seconds, for a running clock's live figures."""
    name, policy, state, due, target, elapsed, breached, version, since = (
        f"c.{column}" for column in columns_of_fields(Clock, CURRENT_FIELDS)
    )
    running = in_literals(state, [State.RUNNING.value])
    return ", ".join(
        (
            *(name, policy, state, f"CASE WHEN {running} THEN {api_time(due)} END"),
            *(target, elapsed, f"CASE WHEN {target} > {elapsed} THEN {target} - {elapsed} ELSE 0 END"),
            *(api_time(breached), version, epoch_seconds(since)),
        )
    )


def current_clocks_sql(incident_ids: Sequence[int]) -> tuple[str, list[object]]:
    """The current clocks of these incidents as a SELECT of ``CLOCK_COLUMNS`` columns (incident id
    first), for a caller that reads them together with other rows in one statement. Python parses
    no timestamp of them (``queries.clock_entries``)."""
    condition, params = in_values("c.incident_id", incident_ids)
    sql = f"SELECT c.incident_id, {_current_columns()} FROM {Clock._meta.db_table} c WHERE c.is_current AND {condition}"
    return sql, params


def current_clocks(incident_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """``current_clocks_sql``'s rows."""
    sql, params = current_clocks_sql(incident_ids)
    return fetch(sql, params)
