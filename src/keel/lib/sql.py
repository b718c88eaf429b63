"""Helpers for the few reads Keel writes as SQL by hand (the lists every agent and API client asks
for all day), the same on SQLite and PostgreSQL."""

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, cast

from django.db import connection
from django.db.models import Field, Model


def postgres() -> bool:
    return connection.vendor == "postgresql"


def in_values(expression: str, values: Sequence[int] | Sequence[str]) -> tuple[str, list[object]]:
    """``expression IN (values)``: one array parameter on PostgreSQL, so the statement's text is the
    same whatever the count and it is prepared once; placeholders on SQLite.

    The array goes as its text literal with a cast: psycopg dumps a Python list element by element
    in Python, which cost a list page more than the rest of its parameters together.
    """
    if not postgres():
        return f"{expression} IN ({', '.join(['%s'] * len(values))})", list(values)
    if not values or isinstance(values[0], int):  # the values of one column: all of one type
        return f"{expression} = ANY(%s::bigint[])", ["{" + ",".join(map(str, values)) + "}"]
    quoted = ('"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return f"{expression} = ANY(%s::text[])", ["{" + ",".join(quoted) + "}"]


def as_text(expression: str) -> str:
    """Read a timestamp column as text: psycopg loads text in C, while the timestamptz loader Django
    installs runs Python per value (a third of a list page's decoding). ``lib.api.iso_utc`` reads
    both databases' text (``2026-11-27 18:00:00.5+00``, ``2026-11-27 18:00:00.500000``)."""
    return f"{expression}::text" if postgres() else expression


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cast(list[tuple[Any, ...]], cursor.fetchall())


def instance_from_row[M: Model](model: type[M], values: Sequence[Any]) -> M:
    """A model instance from a row of all its concrete columns (``columns_of``), each value converted
    as the ORM would (SQLite's 0/1 booleans, aware datetimes)."""
    converted = []
    for raw, (column, converters) in zip(values, _converters(model, connection.vendor), strict=True):
        value = raw
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in model._meta.concrete_fields], converted)


def columns_of(model: type[Model], alias: str) -> str:
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


@cache
def _converters(model: type[Model], vendor: str) -> list[tuple[Any, list[Callable[..., Any]]]]:
    table = model._meta.db_table
    columns = [(field, field.get_col(table)) for field in model._meta.concrete_fields]
    return [
        (column, [*connection.ops.get_db_converters(column), *field.get_db_converters(connection)])
        for field, column in columns
    ]


def bulk_update(model: type[Model], rows: Sequence[Model], fields: Sequence[str], *, batch: int = 500) -> None:
    """Write ``fields`` of many rows, one ``UPDATE … FROM (VALUES …)`` per batch on both databases.

    Django's ``bulk_update`` builds a CASE chain per column: ~1 s per 500 rows of a dozen columns
    to build and run (measured on the SLA sweep). ``fields`` are attribute names (``ci_id`` for a
    foreign key is written ``ci``).
    """
    if not rows:
        return
    table = model._meta.db_table
    written = [cast(Field[Any, Any], model._meta.get_field(name)) for name in fields]
    names = ["id", *(str(field.column) for field in written)]
    kinds = ["bigint", *(_cast_type(field) for field in written)]
    setting = ", ".join(f"{name} = {_cast(f'v.{name}', kind)}" for name, kind in zip(names[1:], kinds[1:], strict=True))
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        values = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * len(chunk))
        params = [value for row in chunk for value in (row.pk, *_prepared(row, written))]
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH v({', '.join(names)}) AS (VALUES {values}) "
                f"UPDATE {table} SET {setting} FROM v WHERE {table}.id = {_cast('v.id', 'bigint')}",
                params,
            )


def _prepared(row: Model, fields: Sequence[Field[Any, Any]]) -> list[Any]:
    return [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]


def _cast_type(field: Any) -> str:
    kind = str(field.db_type(connection))
    return kind.split("(", maxsplit=1)[0] if kind.startswith("varchar") else kind


def _cast(expression: str, kind: str) -> str:
    # PostgreSQL types a VALUES list from its parameters (text here): cast back to the column's type.
    return f"CAST({expression} AS {kind})" if postgres() else expression
