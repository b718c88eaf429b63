"""Helpers for the few reads Keel writes as SQL by hand (the lists every agent and API client asks
for all day), the same on SQLite and PostgreSQL."""

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, cast

from django.db import connection
from django.db.models import Model


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
