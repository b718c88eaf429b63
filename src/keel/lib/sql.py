"""Helpers for the speed layer (DESIGN §4.8): the few reads and writes Keel does by hand, the same
on SQLite and PostgreSQL. Only each app's ``rows`` module imports this (an import-linter contract)."""

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, Final, cast

import orjson
from django.db import connection
from django.db.models import BigIntegerField, Field, FileField, Model, signals
from django.db.models.base import ModelState
from django.utils import timezone

from keel.lib.database import postgres


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


def in_literals(expression: str, values: Sequence[int] | Sequence[str]) -> str:
    """``expression IN (values)`` with the values written into the statement, for a read whose
    plan depends on them (a list's filters). PostgreSQL plans a statement with parameters again on
    every run when its generic plan looks worse (it always did for the list page: half of its
    database time); a statement without parameters is planned once, when psycopg prepares it.

    For ids and a fixed vocabulary (states) only: anything else is refused rather than quoted.
    """
    return f"{expression} IN ({', '.join(map(_literal, values)) or 'NULL'})"


def _literal(value: int | str) -> str:
    if isinstance(value, int):
        return str(int(value))  # an IntEnum member prints its name
    word = _VOCABULARY.fullmatch(value)
    if word is None:
        raise ValueError(f"not a literal this module writes into SQL: {value!r}")
    return f"'{word.group()}'"


_VOCABULARY = re.compile(r"[A-Za-z0-9_]+")


def api_time(expression: str) -> str:
    """A timestamp column as the API writes it, ``lib.api.iso_utc``'s fixed-width shape
    (``2026-11-27T18:00:00.000000Z``), formatted by the database: a microsecond each in C there,
    against a microsecond each in Python for the ~250 timestamps of a list page. NULL stays NULL.

    The shape sorts as the times do: compare two of them as text.
    """
    if postgres():
        return f"""to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    # Django stores a datetime on SQLite as naive UTC text: 2026-11-27 18:00:00[.ffffff].
    fraction = f"substr(substr({expression}, 21) || '000000', 1, 6)"
    return f"(substr({expression}, 1, 10) || 'T' || substr({expression}, 12, 8) || '.' || {fraction} || 'Z')"


def epoch_seconds(expression: str) -> str:
    """A timestamp column as whole seconds since the epoch (``sla.business_time.instant_of``'s integer).
    Its ``%%`` is for a statement sent with parameters (``fetch`` always sends a list)."""
    if postgres():
        return f"floor(extract(epoch FROM {expression}))::bigint"
    # Whole seconds of the stored text: SQLite's own arithmetic rounds 23:59:59.9995 up.
    return f"CAST(strftime('%%s', substr({expression}, 1, 19)) AS INTEGER)"


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cast(list[tuple[Any, ...]], cursor.fetchall())


def instance_from_row[M: Model](model: type[M], values: Sequence[Any], attnames: Sequence[str] = ()) -> M:
    """A model instance from a row of these fields (attribute names; by default all its concrete
    columns, as ``columns_of`` reads them); the others stay deferred."""
    attnames = attnames or _attnames(model)
    return loaded(model, attnames, _converted(model, attnames, values), db=connection.alias)


def _converted(model: type[Model], attnames: Sequence[str], row: Sequence[Any]) -> list[Any]:
    """The row's values of these fields (attribute names, in the row's order) converted as the ORM
    would (SQLite's 0/1 booleans, aware datetimes, JSON text)."""
    by_attname = _converters(model, connection.vendor)
    values = []
    for raw, attname in zip(row, attnames, strict=True):
        value = raw
        column, converters = by_attname[attname]
        for converter in converters:
            value = converter(value, column, connection)
        values.append(value)
    return values


def loaded[M: Model](model: type[M], attnames: Sequence[str], values: Sequence[Any], *, db: str | None) -> M:
    """What ``model.from_db(db, attnames, values)`` gives, without running the model's constructor.

    The constructor sets each field through its descriptor and sends pre_init/post_init: for the
    thousands of alerts a storm's batch loads or creates, it was the batch's largest single cost.
    A model with ``post_init`` receivers (image fields, some third-party fields) gets the real one.
    Attributes not named stay deferred, loaded on first access as the ORM's ``only()`` does.
    """
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return model.from_db(db, list(attnames), list(values))
    instance = model.__new__(model)
    instance.__dict__.update(zip(attnames, values, strict=True))
    state = instance._state = ModelState()
    state.adding, state.db = False, db
    return instance


@cache
def _attnames(model: type[Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def columns_of(model: type[Model], alias: str) -> str:
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


@cache
def _converters(model: type[Model], vendor: str) -> dict[str, tuple[Any, list[Callable[..., Any]]]]:
    table = model._meta.db_table
    return {
        field.attname: (
            column := field.get_col(table),
            [*connection.ops.get_db_converters(column), *field.get_db_converters(connection)],
        )
        for field in model._meta.concrete_fields
    }


# --- many rows in one parameter ---------------------------------------------------------------
#
# Bulk writes send their rows as ONE JSON array parameter that the database unpacks itself
# (PostgreSQL's jsonb_to_recordset, SQLite's json_each): Django's bulk_create/bulk_update pass a
# parameter per value, whose composing cost more than the database's work (bench/README.md).
# The helpers take fields, not hand-written column lists, and refuse what they cannot write as
# save() would.

Columns = Mapping[str, Field[Any, Any]]  # column name → the model field stored there


def columns_of_fields(model: type[Model], names: Sequence[str]) -> dict[str, Field[Any, Any]]:
    """{column: field} of these fields (attribute or field names, ``ci`` for a foreign key)."""
    fields = [cast(Field[Any, Any], model._meta.get_field(name)) for name in names]
    return {str(field.column): field for field in fields}


def rows_from_json(columns: Columns) -> str:
    """A FROM item, alias ``v``, reading the rows of one JSON-array parameter as these columns."""
    return _rows_from_json(tuple(columns.items()), connection.vendor)


@cache  # composed once per column list: every incident opened writes three such statements
def _rows_from_json(columns: tuple[tuple[str, Field[Any, Any]], ...], vendor: str) -> str:
    if vendor == "postgresql":
        typed = ", ".join(f"{column} {field.db_type(connection)}" for column, field in columns)
        return f"jsonb_to_recordset(%s::jsonb) AS v({typed})"
    picks = ", ".join(f"{_sqlite_pick(column, field)} AS {column}" for column, field in columns)
    return f"(SELECT {picks} FROM json_each(%s)) AS v"


def _sqlite_pick(column: str, field: Field[Any, Any]) -> str:
    # json_extract unwraps JSON scalars (a JSON field holding the text "x" would be stored as x);
    # ``->`` keeps JSON as JSON, and a JSON null is SQL NULL as the ORM stores None.
    if field.get_internal_type() == "JSONField":
        return f"nullif(value -> '$.{column}', 'null')"
    return f"json_extract(value, '$.{column}')"


def rows_json(rows: Sequence[Mapping[str, Any]]) -> str:
    """The JSON-array parameter for ``rows_from_json``: datetimes as the database stores them
    (orjson's own RFC 3339 for PostgreSQL; SQLite's text format through Django)."""
    if postgres():
        return orjson.dumps(list(rows)).decode()
    return orjson.dumps(list(rows), default=_sqlite_time, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def _sqlite_time(value: datetime) -> str:
    if not isinstance(value, datetime):
        raise TypeError(f"{type(value).__name__} is not a value lib.sql writes as JSON: {value!r}")
    return str(connection.ops.adapt_datetimefield_value(value))


def insert_rows(
    table: str,
    columns: Columns,
    rows: Sequence[Mapping[str, Any]],
    *,
    ignore_conflicts: bool = False,
    returning: str = "",
) -> list[tuple[Any, ...]]:
    """Insert the rows in one statement; with ``returning``, the inserted rows' columns (a row that
    ``ignore_conflicts`` skipped returns nothing)."""
    if not rows:
        return []
    names = ", ".join(columns)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT, to tell it from a join's ON.
    where = " WHERE true" if conflict and not postgres() else ""
    back = f" RETURNING {returning}" if returning else ""
    sql = f"INSERT INTO {table} ({names}) SELECT {names} FROM {rows_from_json(columns)}{where}{conflict}{back}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [rows_json(rows)])
        return cast(list[tuple[Any, ...]], cursor.fetchall()) if returning else []


def update_rows(table: str, columns: Columns, rows: Sequence[Mapping[str, Any]]) -> None:
    """Set ``columns`` of the rows whose ``id`` each mapping gives, in one statement."""
    if not rows:
        return
    setting = ", ".join(f"{column} = v.{column}" for column in columns)
    source = rows_from_json({"id": _ID, **columns})
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {setting} FROM {source} WHERE {table}.id = v.id", [rows_json(rows)])


_ID: Final[Field[Any, Any]] = BigIntegerField()


def bulk_update(model: type[Model], rows: Sequence[Model], fields: Sequence[str]) -> None:
    """Write ``fields`` (attribute names) of many model instances in one statement (``pre_save``
    does not run: fields with ``auto_now`` are refused)."""
    columns = columns_of_fields(model, fields)
    _refuse_unwritable(model, columns.values())
    pairs = pairs_of(list(columns.values()))
    update_rows(model._meta.db_table, columns, [{"id": row.pk, **row_of(row, pairs)} for row in rows])


Pairs = Sequence[tuple[str, str]]


def pairs_of(fields: Sequence[Field[Any, Any]]) -> list[tuple[str, str]]:
    """(column, attribute) of each field: what ``row_of`` reads, computed once per caller."""
    return [(str(field.column), field.attname) for field in fields]


def row_of(instance: Model, pairs: Pairs) -> dict[str, Any]:
    """The columns ``pairs`` names of a model instance, for ``insert_rows``/``update_rows`` (orjson
    writes choices members as their values)."""
    values = instance.__dict__
    return {column: values[attname] for column, attname in pairs}


def new_values(model: type[Model]) -> dict[str, Any]:
    """Every concrete field's default (attribute names), as a new instance would get them: a
    callable default (``dict``, ``list``) is called each time, so no two rows share a container."""
    return {field.attname: field.get_default() for field in model._meta.concrete_fields}


def insert_instance[M: Model](instance: M) -> M:
    """INSERT a new model instance built in memory and set its id: for the few rows written on every
    request, where ``save()`` took as long to compose the statement as the database took to run it.
    Fields with ``auto_now``/``auto_now_add`` are stamped as ``save()`` would; a model whose save
    does more (a ``save()`` of its own, save signals, files) is refused."""
    ((pk,),) = insert_instances([instance], returning="id")
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def insert_instances(instances: Sequence[Model], *, returning: str = "") -> list[tuple[Any, ...]]:
    """INSERT new instances of one model (every column but the id) in one statement, as
    ``insert_instance`` does one; with ``returning``, those columns of the inserted rows."""
    if not instances:
        return []
    model = type(instances[0])
    stamped = _stamped_fields(model)
    for instance in instances:
        for field in stamped:
            field.pre_save(instance, add=True)
    pairs = _insertable(model)
    rows = [row_of(instance, pairs) for instance in instances]
    return insert_rows(model._meta.db_table, _insertable_columns(model), rows, returning=returning)


def insert_values(
    model: type[Model], rows: Sequence[Mapping[str, Any]], *, ignore_conflicts: bool = False, returning: str = ""
) -> list[tuple[Any, ...]]:
    """INSERT rows of a model given as {attribute: value} in one statement, without building
    instances (a sweep writes hundreds); a field a row leaves out gets its default, as a new
    instance would (``auto_now`` fields the time now). Refuses as ``insert_instances`` does."""
    if not rows:
        return []
    fields = _insertable_fields(model)
    stamped = {field.attname for field in _stamped_fields(model)}
    now = timezone.now()
    complete = []
    for row in rows:
        missing = {f.attname: now if f.attname in stamped else f.get_default() for f in fields if f.attname not in row}
        complete.append({**row, **missing})
    pairs = _insertable(model)
    values = [{column: row[attname] for column, attname in pairs} for row in complete]
    return insert_rows(
        model._meta.db_table, _insertable_columns(model), values, ignore_conflicts=ignore_conflicts, returning=returning
    )


@cache
def _insertable_fields(model: type[Model]) -> list[Field[Any, Any]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    _refuse_unwritable(model, fields, stamping=True)
    return fields


@cache
def _insertable(model: type[Model]) -> list[tuple[str, str]]:
    return pairs_of(_insertable_fields(model))


@cache
def _insertable_columns(model: type[Model]) -> dict[str, Field[Any, Any]]:
    return {str(field.column): field for field in _insertable_fields(model)}


@cache
def _stamped_fields(model: type[Model]) -> list[Field[Any, Any]]:
    """The fields whose ``pre_save`` sets their value on insert (``auto_now``, ``auto_now_add``)."""
    return [f for f in _insertable_fields(model) if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]


def _refuse_unwritable(model: type[Model], fields: Iterable[Field[Any, Any]], *, stamping: bool = False) -> None:
    """Refuse, by raising TypeError, to write a model these helpers would write wrongly."""
    name = model.__name__
    if model.save is not Model.save:
        raise TypeError(f"{name} has a save() of its own, which lib.sql would skip: save it with the ORM.")
    if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        raise TypeError(f"{name} has pre_save/post_save receivers, which lib.sql would skip: save it with the ORM.")
    for field in fields:
        if isinstance(field, FileField):
            raise TypeError(f"{name}.{field.name} is a file, which lib.sql cannot store: save it with the ORM.")
        if not stamping and (getattr(field, "auto_now", False)):
            raise TypeError(f"{name}.{field.name} has auto_now, which lib.sql would not stamp: save it with the ORM.")
