"""Reads on incidents, always starting from the user who asks."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.db import connection
from django.db.models import F, JSONField, Q, QuerySet, prefetch_related_objects
from django.db.models.expressions import RawSQL

from keel.accounts.models import Team, User
from keel.accounts.roles import Capability
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.models import Category, Incident, PriorityRule, pk_from_number
from keel.incidents.permissions import can_transition_incident
from keel.incidents.states import DEFAULT_PRIORITY_MATRIX, OPEN, TRANSITIONS, IncidentState, Level, Priority
from keel.lib.errors import NotFound
from keel.lib.references import by_reference
from keel.sla.queries import incident_clock_rows, incident_clocks_sql

# Counting every match of a broad filter over a million rows is the peers' slowest habit; past
# this many we stop counting and say so ("10,000+").
COUNT_CAP: Final = 10_000

# No joins: a list page (or the record page) loads its rows, then the people they name in one
# query and each small reference table in one query. Joined, PostgreSQL spends ~40 ms planning a
# nine-table query and hash-joins every match with the users table before it cuts the page.
PEOPLE: Final = ("caller", "opened_by", "assignee", "resolved_by")
REFERENCES: Final = ("assignment_group", "category", "subcategory", "service", "ci")


def attach_related(incidents: Sequence[Incident]) -> None:
    """Load what a list row or the record page shows, in a constant number of queries."""
    people_ids = {getattr(incident, f"{name}_id") for incident in incidents for name in PEOPLE} - {None}
    people = User.objects.in_bulk(people_ids)
    for incident in incidents:
        for name in PEOPLE:
            setattr(incident, name, people.get(getattr(incident, f"{name}_id")))
    prefetch_related_objects(list(incidents), *REFERENCES)


def incidents_visible_to(user: User) -> QuerySet[Incident]:
    incidents = Incident.objects.all()
    if user.can(Capability.VIEW_ALL_INCIDENTS):
        return incidents
    mine = Q(caller=user) | Q(pk__in=Incident.watchers.through.objects.filter(user=user).values("incident_id"))
    return incidents.filter(mine)


def get_incident_for(user: User, number: str) -> Incident:
    """The incident with this number if the user may see it; NotFound otherwise (we never say which)."""
    incident = _numbered(user, number).first()
    if incident is None:
        raise _not_found(number)
    attach_related([incident])
    return incident


def _numbered(user: User, number: str) -> QuerySet[Incident]:
    pk = pk_from_number(number)
    return incidents_visible_to(user).filter(pk=pk) if pk is not None else Incident.objects.none()


def _not_found(number: str) -> NotFound:
    return NotFound(f"No incident {number!r} that you can see; check the number (e.g. INC0000042).")


@dataclass(frozen=True)
class IncidentFilters:
    states: Sequence[IncidentState] = ()
    priorities: Sequence[Priority] = ()
    assignment_group_ids: Sequence[int] = ()
    assignee_ids: Sequence[int] = ()
    unassigned: bool = False
    text: str = ""
    order: str = "-opened_at"


ORDERINGS: Final = {
    "-opened_at": ("-opened_at", "-id"),
    "opened_at": ("opened_at", "id"),
    "priority": ("priority", "-opened_at", "-id"),
    "-priority": ("-priority", "-opened_at", "-id"),
    "-updated_at": ("-updated_at", "-id"),
}


def filter_incidents(incidents: QuerySet[Incident], filters: IncidentFilters) -> QuerySet[Incident]:
    if filters.states:
        incidents = incidents.filter(state__in=filters.states)
    if filters.priorities:
        incidents = incidents.filter(priority__in=filters.priorities)
    if filters.assignment_group_ids:
        incidents = incidents.filter(assignment_group_id__in=filters.assignment_group_ids)
    if filters.assignee_ids:
        incidents = incidents.filter(assignee_id__in=filters.assignee_ids)
    if filters.unassigned:
        incidents = incidents.filter(assignee__isnull=True)
    if filters.text:
        number_pk = pk_from_number(filters.text)
        incidents = (
            incidents.filter(pk=number_pk) if number_pk is not None else incidents.filter(title__icontains=filters.text)
        )
    return incidents.order_by(*ORDERINGS.get(filters.order, ORDERINGS["-opened_at"]))


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    count: int
    count_is_capped: bool
    offset: int
    limit: int


IncidentPage = Page[Incident]


def incident_page(user: User, filters: IncidentFilters, *, offset: int, limit: int) -> IncidentPage:
    """One page of the incidents this user may see (models with what a row shows), counted up to COUNT_CAP."""
    matching = filter_incidents(incidents_visible_to(user), filters)
    items = list(matching[offset : offset + limit])
    attach_related(items)
    return _page(matching, items, offset=offset, limit=limit)


def incident_document_page(user: User, filters: IncidentFilters, *, offset: int, limit: int) -> Page[dict[str, Any]]:
    """The same page as plain documents, in one query: what the API sends."""
    matching = filter_incidents(incidents_visible_to(user), filters)
    return _page(matching, incident_documents(matching[offset : offset + limit]), offset=offset, limit=limit)


def _page[T](matching: QuerySet[Incident], items: list[T], *, offset: int, limit: int) -> Page[T]:
    # A short first page is the whole answer; otherwise count, but never past the cap.
    on_one_page = offset == 0 and len(items) < limit
    count = len(items) if on_one_page else matching.order_by()[: COUNT_CAP + 1].count()
    return Page(items=items, count=min(count, COUNT_CAP), count_is_capped=count > COUNT_CAP, offset=offset, limit=limit)


DOCUMENT_COLUMNS: Final = (
    "id",
    "title",
    "description",
    "state",
    "hold_reason",
    "impact",
    "urgency",
    "priority",
    "channel",
    "resolution_code",
    "resolution_notes",
    "parent_id",
    "reassignment_count",
    "reopen_count",
    "first_contact_resolution",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "updated_at",
    "version",
)


def incident_documents(incidents: QuerySet[Incident]) -> list[dict[str, Any]]:
    """Incidents as dicts, each related record as a nested object built by the database.

    One query whatever the page size: each relation is a scalar subquery on a primary key, which
    the database evaluates only for the rows of the page.
    """
    related = _related_documents()
    related["sla"] = incident_clocks_sql(Incident._meta.db_table)
    rows = incidents.values(*DOCUMENT_COLUMNS, **{f"{name}__document": query for name, query in related.items()})
    return [{**row, **{name: row.pop(f"{name}__document") for name in related}} for row in rows]


def incident_document(incident: Incident) -> dict[str, Any]:
    """The document of an incident held in memory with its relations loaded (as ``open_incident``
    returns it): what ``incident_documents`` would read, without reading it back."""
    document: dict[str, Any] = {column: getattr(incident, column) for column in DOCUMENT_COLUMNS}
    for name, model, _ in _RELATED:
        related = getattr(incident, name)
        document[name] = None if related is None else _DOCUMENT_OF[model](related)
    document["sla"] = incident_clock_rows(incident.pk)
    return document


_DOCUMENT_OF: Final[Mapping[type[Any], Callable[[Any], dict[str, Any]]]] = {
    User: lambda user: {"id": user.pk, "username": user.username, "name": str(user)},
    Team: lambda team: {"id": team.pk, "slug": team.slug, "name": team.name},
    Category: lambda row: {"id": row.pk, "name": row.name},
    Service: lambda row: {"id": row.pk, "name": row.name},
    ConfigurationItem: lambda row: {"id": row.pk, "name": row.name},
}


def incident_document_for(user: User, number: str) -> dict[str, Any]:
    documents = incident_documents(_numbered(user, number))
    if not documents:
        raise _not_found(number)
    return documents[0]


# (relation, table, JSON fields as SQL over alias "r"): each becomes a scalar subquery on a primary key.
_PERSON: Final = "'id', r.id, 'username', r.username, 'name', COALESCE(NULLIF(r.name, ''), r.username)"
_NAMED: Final = "'id', r.id, 'name', r.name"
_RELATED: Final = (
    ("caller", User, _PERSON),
    ("opened_by", User, _PERSON),
    ("assignee", User, _PERSON),
    ("assignment_group", Team, "'id', r.id, 'slug', r.slug, 'name', r.name"),
    ("category", Category, _NAMED),
    ("subcategory", Category, _NAMED),
    ("service", Service, _NAMED),
    ("ci", ConfigurationItem, _NAMED),
)


def _related_documents() -> dict[str, RawSQL]:
    # Written as SQL rather than ORM subqueries: building and compiling eight ORM subqueries cost
    # ~5 ms per request, ten times the database's work. json_object (SQLite) and
    # jsonb_build_object (PostgreSQL) take the same alternating key/value arguments.
    build = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    incidents = Incident._meta.db_table
    return {
        name: RawSQL(
            f"SELECT {build}({fields}) FROM {model._meta.db_table} r WHERE r.id = {incidents}.{name}_id",
            (),
            output_field=JSONField(),
        )
        for name, model, fields in _RELATED
    }


def queue_filters(user: User, queue: str) -> IncidentFilters:
    """The named agent queues: my work, my groups, unassigned, all open."""
    open_states = tuple(sorted(OPEN))
    match queue:
        case "mine":
            return IncidentFilters(states=open_states, assignee_ids=(user.pk,))
        case "groups":
            return IncidentFilters(states=open_states, assignment_group_ids=tuple(sorted(user.team_ids)) or (0,))
        case "unassigned":
            return IncidentFilters(states=open_states, unassigned=True)
        case "all":
            return IncidentFilters()
        case _:
            return IncidentFilters(states=open_states)


def priority_for(impact: Level, urgency: Level) -> Priority:
    rule = PriorityRule.objects.filter(impact=impact, urgency=urgency).values_list("priority", flat=True).first()
    return Priority(rule) if rule is not None else DEFAULT_PRIORITY_MATRIX[(impact, urgency)]


def allowed_transitions(user: User, incident: Incident) -> list[IncidentState]:
    """The states this user may move the incident to now, in lifecycle order."""
    reachable = TRANSITIONS[IncidentState(incident.state)]
    return [
        target for target in IncidentState if target in reachable and can_transition_incident(user, incident, target)
    ]


def categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True, parent__isnull=True).prefetch_related("children")


def category_by_reference(reference: str | int, *, field: str) -> Category:
    # A name used at both levels means the top-level category.
    categories = Category.objects.order_by(F("parent_id").asc(nulls_first=True))
    return by_reference(categories, reference, key="name", field=field, what="category", give="a category id or name")


def callers_matching(user: User, text: str, *, limit: int) -> list[User]:
    """Active people whose username, name or e-mail matches ``text``: the console's caller chooser.

    Only for those who log incidents for others; anyone else reports for themselves and gets nobody.
    """
    text = text.strip()
    if not text or not user.can(Capability.LOG_INCIDENT):
        return []
    matching = Q(username__istartswith=text) | Q(name__icontains=text) | Q(email__istartswith=text)
    return list(User.objects.filter(matching, is_active=True).order_by("name", "username")[:limit])
