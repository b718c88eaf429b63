"""The hand-written SQL of monitoring (DESIGN §4.8): the statements the intake and the alert pump
run for every request and every batch, where the ORM's composing cost more than the database's
work (bench/README.md). The rules around them live in ``integrations/actions``.

Column lists derive from the models: a payload is inserted with every column, an alert with every
column, an event with every column (a field left out gets its default). The lists of what a step
changes or reads are named where that step decides them and held by the drift tests of
``tests/integrations/test_rows.py``.
"""

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

from django.db import connection

from keel.integrations.models import Alert, AlertEvent, Payload, Source
from keel.lib.database import postgres
from keel.lib.sql import (
    bulk_update,
    columns_of,
    fetch,
    in_values,
    insert_rows,
    insert_values,
    instance_from_row,
    loaded,
    new_values,
    pairs_of,
    row_of,
)

# --- the intake: one statement per request --------------------------------------------------

# Every column of a payload but its id; the source's id comes from the SELECT that finds the
# source, so the lookup and the write are a single round trip.
_PAYLOAD_FIELDS: Final = [field for field in Payload._meta.concrete_fields if not field.primary_key]
_GIVEN: Final = [field for field in _PAYLOAD_FIELDS if field.attname != "source_id"]
_GIVEN_NAMES: Final = frozenset(field.attname for field in _GIVEN)


def _payload_insert(condition: str) -> str:
    columns = ", ".join(str(field.column) for field in _PAYLOAD_FIELDS)
    picks = ", ".join("s.id" if field.attname == "source_id" else "%s" for field in _PAYLOAD_FIELDS)
    return (
        f"INSERT INTO {Payload._meta.db_table} ({columns}) "
        f"SELECT {picks} FROM {Source._meta.db_table} s WHERE {condition} RETURNING id"
    )


_BY_SECRET: Final = _payload_insert("s.token_hash = %s AND s.kind = %s AND s.revoked_at IS NULL")
_BY_ID: Final = _payload_insert("s.id = %s AND s.revoked_at IS NULL")


def insert_payload(values: Mapping[str, Any], *, token_hash: str, kind: str) -> int | None:
    """Store a payload of the active source of this kind whose secret has this hash; its id, or
    None when there is no such source (nothing is stored). ``values`` are attribute names; a
    field they leave out gets its default."""
    return _insert_payload(_BY_SECRET, values, [token_hash, kind])


def insert_payload_of(values: Mapping[str, Any], *, source_id: int) -> int | None:
    """``insert_payload`` for the active source with this id."""
    return _insert_payload(_BY_ID, values, [source_id])


def _insert_payload(sql: str, values: Mapping[str, Any], where: Sequence[object]) -> int | None:
    unknown = values.keys() - _GIVEN_NAMES
    if unknown:
        raise TypeError(f"Payload has no field {', '.join(sorted(unknown))} to insert (the source is found by SQL).")
    params = [
        field.get_db_prep_save(values[field.attname] if field.attname in values else field.get_default(), connection)
        for field in _GIVEN
    ]
    rows = fetch(sql, [*params, *where])
    return int(rows[0][0]) if rows else None


def update_payloads(payloads: Sequence[Payload], fields: Sequence[str]) -> None:
    """Write these fields of the payloads in one statement."""
    bulk_update(Payload, payloads, fields)


# --- alerts: read, locked, built and written by the batch -----------------------------------


def lock_alerts(keys: Collection[tuple[int, str]]) -> list[Alert]:
    """The stored alerts of these (source id, identity) keys, whole, locked in id order (one lock
    order: no deadlocks), loaded without the model's constructor."""
    by_source: dict[int, list[str]] = {}
    for source_id, identity in keys:
        by_source.setdefault(source_id, []).append(identity)
    conditions, params = [], []
    for source_id, identities in by_source.items():
        # Identities as one array parameter: 2,000 placeholders cost psycopg more than the query.
        condition, values = in_values("a.identity", identities)
        conditions.append(f"(a.source_id = %s AND {condition})")
        params += [source_id, *values]
    rows = fetch(
        f"SELECT {columns_of(Alert, 'a')} FROM {Alert._meta.db_table} a WHERE {' OR '.join(conditions)} "
        # SQLite has no row locks: its IMMEDIATE transactions let one writer in at a time.
        f"ORDER BY a.id{' FOR UPDATE OF a' if postgres() else ''}",
        params,
    )
    return [instance_from_row(Alert, row) for row in rows]


# What deciding reads of an alert (not its annotations, links or details: a storm is many rows;
# a field not read is loaded on first use, as the ORM's ``only()`` does).
READ_FOR_DECIDING: Final = (
    "id",
    "source_id",
    "status",
    "severity",
    "summary",
    "labels",
    "occurrences",
    "status_changed_at",
    "is_flapping",
    "ci_id",
    "service_id",
    "incident_id",
    "suppressed_by_id",
    "needs_decision",
)
_DECIDING_FIELDS: Final = [field for field in Alert._meta.concrete_fields if field.attname in READ_FOR_DECIDING]
_DECIDING_ATTNAMES: Final = [field.attname for field in _DECIDING_FIELDS]
_DECIDING_COLUMNS: Final = ", ".join(f"a.{field.column}" for field in _DECIDING_FIELDS)


def waiting_alerts(limit: int) -> list[Alert]:
    """The alerts that wait for a decision, oldest first, locked, skipping those another decider
    holds; only ``READ_FOR_DECIDING`` is loaded (after a storm thousands wait, and the queryset's
    compiling and instance building cost more than the database's work)."""
    lock = " FOR UPDATE OF a SKIP LOCKED" if postgres() else ""
    rows = fetch(
        f"SELECT {_DECIDING_COLUMNS} FROM {Alert._meta.db_table} a WHERE a.needs_decision ORDER BY a.id LIMIT %s{lock}",
        [limit],
    )
    return [instance_from_row(Alert, row, _DECIDING_ATTNAMES) for row in rows]


def new_alert(values: Mapping[str, Any]) -> Alert:
    """An alert built in memory, not inserted, without the model's constructor (a storm builds
    thousands): every field its default, with containers of its own, but for ``values``
    (attribute names)."""
    fields = new_values(Alert) | dict(values)
    return loaded(Alert, list(fields), list(fields.values()), db=None)


# Every column of an alert but its id.
_ALERT_FIELDS: Final = [field for field in Alert._meta.concrete_fields if not field.primary_key]
_ALERT_PAIRS: Final = pairs_of(_ALERT_FIELDS)
_ALERT_COLUMNS: Final = {str(field.column): field for field in _ALERT_FIELDS}


def insert_new_alerts(alerts: Sequence[Alert]) -> dict[tuple[int, str], int]:
    """Insert alerts built by ``new_alert``, whole, in this order; the ids of those inserted by
    (source id, identity). An identity already stored (a concurrent processor inserted it first)
    is skipped and missing from the answer."""
    inserted = insert_rows(
        Alert._meta.db_table,
        _ALERT_COLUMNS,
        [row_of(alert, _ALERT_PAIRS) for alert in alerts],
        ignore_conflicts=True,
        returning="id, source_id, identity",
    )
    return {(source_id, identity): pk for pk, source_id, identity in inserted}


def update_alerts(alerts: Sequence[Alert], fields: Sequence[str]) -> None:
    """Write these fields (attribute or field names) of stored alerts in one statement."""
    bulk_update(Alert, alerts, fields)


def insert_alert_events(events: Sequence[Mapping[str, Any]]) -> None:
    """Insert alert events given as {attribute: value} in one statement; what a row leaves out
    gets its default."""
    insert_values(AlertEvent, events)
