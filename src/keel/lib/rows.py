"""The hand-written SQL of ``lib``'s own helpers (DESIGN §4.8): naming records by reference in one
statement, the planner's statistics, and the readiness probe's question. The rules around them live
in ``references``, ``statistics`` and ``health``."""

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection
from django.db.models import Field, Model

from keel.lib.sql import fetch, in_values


def ids_and_keys(
    model: type[Model], *, key: str, ids: Sequence[int], keys: Sequence[str], only: str
) -> list[tuple[int, str]]:
    """(id, key) of the rows whose id is one of ``ids`` or whose ``key`` is one of ``keys``, meeting
    the SQL condition ``only`` (a column of the table, e.g. ``is_active``). One statement: the ORM's
    query per reference was a fifth of a filtered list request's CPU (bench/README.md)."""
    table = model._meta.db_table
    pk, column = (str(cast(Field[Any, Any], model._meta.get_field(name)).column) for name in ("id", key))
    by_id, id_params = in_values(pk, ids)
    by_key, key_params = in_values(column, keys)
    rows = fetch(
        f"SELECT {pk}, {column} FROM {table} WHERE ({only or '1 = 1'}) AND ({by_id} OR {by_key})",
        [*id_params, *key_params],
    )
    return [(int(row_id), str(row_key)) for row_id, row_key in rows]


def autovacuum_on() -> bool:
    return bool(fetch("SELECT current_setting('autovacuum')::boolean", [])[0][0])


def tables_changed_since_analyze(*, threshold: int, scale: float) -> list[str]:
    """This schema's tables with more changed rows since their last ANALYZE than
    ``threshold + scale × rows`` (autovacuum's rule for its own analyze)."""
    return [
        name
        for (name,) in fetch(
            "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "WHERE s.schemaname = current_schema() "
            "AND s.n_mod_since_analyze > %s + %s * greatest(c.reltuples, 0) ORDER BY s.relname",
            [threshold, scale],
        )
    ]


def analyze(table: str) -> None:
    """Refresh the planner's statistics of one table (a name the database gave, quoted as an identifier)."""
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{table}"')


def ping() -> None:
    """Ask the database the cheapest question there is (a readiness probe's)."""
    fetch("SELECT 1", [])
