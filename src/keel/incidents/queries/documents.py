"""The incident as the API shows it: one shape, one renderer, for every read and every answer.

The document is ``IncidentOut`` (schemas.py): its keys, in its order, are the Incident fields of
those names (``number`` is the id), each shown by what the field is (``FIELDS``, derived from the
schema and the model; ``sla`` is added). Add a field to IncidentOut and the document reads and
shows it; add one to Incident and ``test_document_columns_follow_the_model`` asks for it here, in
IncidentOut or in ``NOT_SHOWN``.

Reads fetch each incident's columns as plain values (``rows.select_list``; the timestamps already
in the API's text), then the records they name and their SLA clocks in one more statement, and
build the documents in Python (cheaper in sum than the database building JSON; bench/README.md).
The answer to a create renders the incident it just wrote, held in memory, the same way without
reading it back.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import BooleanField, Choices, DateTimeField, Field, Model

from keel.accounts.models import Team, User
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.models import Category, Incident, number_for, pk_from_number
from keel.incidents.queries.listing import IncidentFilters
from keel.incidents.queries.records import not_found, viewer_of
from keel.incidents.rows import page_of, records_and_clocks, rows_by_id
from keel.incidents.schemas import IncidentOut
from keel.incidents.states import Level, Priority
from keel.lib.api import iso_utc
from keel.lib.paging import Page
from keel.sla.queries import clock_entries, current_clock_entries

# Keys of IncidentOut that are no column of the incident: filled in by ``_document``.
COMPUTED: Final = frozenset({"sla"})
# Incident fields the document leaves out, each with why. With FIELDS they are every concrete
# field of Incident (test_document_columns_follow_the_model): a new field is shown or said not to be.
NOT_SHOWN: Final[Mapping[str, str]] = {
    "resolved_by": "who resolved it is on the timeline and in the audit trail, not in the document",
}
# The document's keys that name a field otherwise.
_FIELD_OF_KEY: Final = {"number": "id"}

# How each related record is shown: a person, a team, something named; another incident by number.
_SHOWN_AS: Final[Mapping[type[Model], str]] = {
    User: "person",
    Team: "team",
    Category: "named",
    Service: "named",
    ConfigurationItem: "named",
    Incident: "number",
}


def _field_of(key: str) -> Field[Any, Any]:
    try:
        field = Incident._meta.get_field(_FIELD_OF_KEY.get(key, key))
    except FieldDoesNotExist as error:
        raise ImproperlyConfigured(
            f"IncidentOut.{key} is no field of Incident: add it to the model, or name it in COMPUTED "
            "(incidents/queries/documents.py) and fill it in _document."
        ) from error
    assert isinstance(field, Field)
    return field


def _kind(field: Field[Any, Any]) -> str:
    """How the document shows a field: value (as stored), flag (a JSON boolean), time (ISO 8601 UTC
    with microseconds), level (high/medium/low), priority (P1-P5), number (INC0000042 from a
    primary key), person/team/named (the related record as a small object, or null)."""
    if field.primary_key:
        return "number"
    if field.is_relation:
        model = _related_model(field)
        if model not in _SHOWN_AS:
            raise ImproperlyConfigured(
                f"Incident.{field.name} points at {model.__name__}: say in _SHOWN_AS "
                "(incidents/queries/documents.py) how the document shows it."
            )
        return _SHOWN_AS[model]
    by_type = (kind for types, kind in _KIND_OF_TYPE if isinstance(field, types))
    by_choices = (kind for choices, kind in _KIND_OF_CHOICES if field.choices == choices.choices)
    return next(by_type, None) or next(by_choices, "value")


_KIND_OF_TYPE: Final = ((DateTimeField, "time"), (BooleanField, "flag"))
_KIND_OF_CHOICES: Final[tuple[tuple[type[Choices], str], ...]] = ((Level, "level"), (Priority, "priority"))


def _related_model(field: Field[Any, Any]) -> type[Model]:
    model = field.related_model
    assert isinstance(model, type)  # Django resolves "self" and "app.Model" when the models load
    return model


_FIELDS_OF_KEYS: Final = {key: _field_of(key) for key in IncidentOut.model_fields if key not in COMPUTED}
# The API's field order (IncidentOut): (key, how it is shown, the column's attribute name).
FIELDS: Final = tuple((key, _kind(field), field.attname) for key, field in _FIELDS_OF_KEYS.items())
COLUMNS: Final = tuple(column for _, _, column in FIELDS)

_SHOWN: Final[Mapping[str, Callable[[int, str, str], dict[str, Any]]]] = {
    "person": lambda pk, username, name: {"id": pk, "username": username, "name": name},
    "team": lambda pk, slug, name: {"id": pk, "slug": slug, "name": name},
    "named": lambda pk, _, name: {"id": pk, "name": name},
}
# The related records a document shows: (kind, the column's attribute name, the field's name, its model)
RELATED: Final = tuple(
    (kind, field.attname, field.name, _related_model(field))
    for (_, kind, _), field in zip(FIELDS, _FIELDS_OF_KEYS.values(), strict=True)
    if kind in _SHOWN
)
_MODEL_OF: Final[Mapping[str, type[Model]]] = {column: model for _, column, _, model in RELATED}
_SHOWN_OF_MODEL: Final = {model: _SHOWN[kind] for kind, _, _, model in RELATED}
_LEVELS: Final = {level.value: level.label for level in Level}

Related = Mapping[type[Model], Mapping[int, dict[str, Any]]]  # model → id → the record as shown
Row = Sequence[Any]


def render(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Each row (``rows.select_list(COLUMNS)``) as the API's document: the records the rows name and
    their current SLA clocks are read in one more statement."""
    if not rows:
        return []
    related, clocks = _related_and_clocks(rows)
    plan = _plan_for(related, _READ_PLAN)
    return [_document(row, plan, clocks.get(row[0], [])) for row in rows]


def incident_document_page(user: User, filters: IncidentFilters, *, offset: int, limit: int) -> Page[dict[str, Any]]:
    """A page of the incidents this user may see, as the API's documents: three statements whatever the page."""
    rows = page_of(viewer_of(user), filters, columns=COLUMNS, offset=offset, limit=limit)
    return Page(
        items=render(rows.items), count=rows.count, count_is_capped=rows.count_is_capped, offset=offset, limit=limit
    )


def incident_document_for(user: User, number: str) -> dict[str, Any]:
    """The API document of the incident with this number, if the user may see it (NotFound otherwise)."""
    pk = pk_from_number(number)
    found = render(rows_by_id(pk, viewer_id=viewer_of(user), columns=COLUMNS)) if pk is not None else []
    if not found:
        raise not_found(number)
    return found[0]


def document_of(incident: Incident) -> dict[str, Any]:
    """The API document of an incident the caller just changed (and may therefore see), as stored."""
    (found,) = render(rows_by_id(incident.pk, viewer_id=None, columns=COLUMNS))
    return found


def incident_document(incident: Incident) -> dict[str, Any]:
    """The document of an incident held in memory with its relations loaded (as ``open_incident``
    returns it): what a read would show, without reading the incident back."""
    # TextChoices members are str subclasses: the document wants the plain values a read gives.
    row = [_plain(getattr(incident, column)) for column in COLUMNS]
    related: dict[type[Model], dict[int, dict[str, Any]]] = {}
    for kind, _, name, model in RELATED:
        record = getattr(incident, name)
        if record is not None:
            related.setdefault(model, {})[record.pk] = _SHOWN[kind](*_shown_of(kind, record))
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
    """The records the rows name and the rows' SLA clocks, read together (``rows.records_and_clocks``)."""
    rows = list(rows)
    wanted: dict[type[Model], set[int]] = {}
    for model, indexes in _RELATED_INDEXES.items():
        ids = {row[index] for index in indexes for row in rows}
        ids.discard(None)
        if ids:
            wanted[model] = ids
    records, clocks = records_and_clocks(wanted, [row[0] for row in rows])
    related: dict[type[Model], dict[int, dict[str, Any]]] = {model: {} for model in wanted}
    for model, pk, first, second in records:
        related[model][pk] = _SHOWN_OF_MODEL[model](pk, first, second)
    return related, clock_entries(clocks)


# model → the row indexes of the columns that name its records
_RELATED_INDEXES: Final = {
    model: [index for index, column in enumerate(COLUMNS) if _MODEL_OF.get(column) is model]
    for model in dict.fromkeys(_MODEL_OF.values())
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

# (key, row index, the related model or None, how to show a plain value)
type BasePlan = tuple[tuple[str, int, type[Model] | None, Callable[[Any], Any] | None], ...]


def _base_plan(render: Mapping[str, Callable[[Any], Any] | None]) -> BasePlan:
    return tuple(
        (key, index, _MODEL_OF.get(column), None if column in _MODEL_OF else render[kind])
        for index, (key, kind, column) in enumerate(FIELDS)
    )


_READ_PLAN: Final = _base_plan(_RENDER)
_MEMORY_PLAN: Final = _base_plan(_IN_MEMORY)
_NO_RECORDS: Final[Mapping[int, dict[str, Any]]] = {}


def _plan_for(related: Related, base: BasePlan) -> Plan:
    """A base plan for one page: a related field shows its record of ``related`` (a dict's own
    get), a plain value its rendering; the values shown as read are not in the plan."""
    plan: list[tuple[str, int, Callable[[Any], Any]]] = []
    for key, index, model, show in base:
        if model is not None:
            plan.append((key, index, related.get(model, _NO_RECORDS).get))
        elif show is not None:
            plan.append((key, index, show))
    return plan
