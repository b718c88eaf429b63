"""Reads on incidents, always starting from the user who asks."""

from collections.abc import Sequence
from typing import Any, Final

from django.db.models import BooleanField, F, Q, QuerySet, prefetch_related_objects
from django.db.models.expressions import RawSQL

from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.incidents.documents import documents_where, render, select_list
from keel.incidents.listing import TABLE, IncidentFilters, Page, page_of, visible_to
from keel.incidents.models import Category, Incident, PriorityRule, pk_from_number
from keel.incidents.permissions import can_transition_incident
from keel.incidents.states import DEFAULT_PRIORITY_MATRIX, OPEN, TRANSITIONS, IncidentState, Level, Priority
from keel.lib.errors import NotFound
from keel.lib.references import by_reference
from keel.lib.sql import fetch

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
    """The incidents this user may see, as a query to refine (the rule itself: ``listing.visible_to``)."""
    incidents = Incident.objects.all()
    if user.can(Capability.VIEW_ALL_INCIDENTS):
        return incidents
    condition, params = visible_to(user, alias=TABLE)
    return incidents.filter(RawSQL(condition, params, output_field=BooleanField()))


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


IncidentPage = Page[Incident]


def incident_page(user: User, filters: IncidentFilters, *, offset: int, limit: int) -> IncidentPage:
    """One page of the incidents this user may see (models with what a row shows), counted up to COUNT_CAP."""
    ids = page_of(user, filters, columns="i.id", offset=offset, limit=limit)
    by_id = Incident.objects.in_bulk([pk for (pk,) in ids.items])
    rows = [by_id[pk] for (pk,) in ids.items]
    attach_related(rows)
    return Page(items=rows, count=ids.count, count_is_capped=ids.count_is_capped, offset=offset, limit=limit)


def incident_document_page(user: User, filters: IncidentFilters, *, offset: int, limit: int) -> Page[dict[str, Any]]:
    """The same page as the API's documents (documents.py): three statements whatever the page."""
    rows = page_of(user, filters, columns=select_list(), offset=offset, limit=limit)
    return Page(
        items=render(rows.items), count=rows.count, count_is_capped=rows.count_is_capped, offset=offset, limit=limit
    )


def incident_document_for(user: User, number: str) -> dict[str, Any]:
    """The API document of the incident with this number, if the user may see it (NotFound otherwise)."""
    pk = pk_from_number(number)
    condition, params = visible_to(user)
    found = documents_where(f"i.id = %s AND {condition}", [pk, *params]) if pk is not None else []
    if not found:
        raise _not_found(number)
    return found[0]


def document_of(incident: Incident) -> dict[str, Any]:
    """The API document of an incident the caller just changed (and may therefore see)."""
    (found,) = documents_where("i.id = %s", [incident.pk])
    return found


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
    """The matrix's priority for this impact and urgency (as SQL: every incident opened asks)."""
    found = fetch(_PRIORITY, [int(impact), int(urgency)])
    return Priority(found[0][0]) if found else DEFAULT_PRIORITY_MATRIX[(impact, urgency)]


_PRIORITY: Final = f"SELECT priority FROM {PriorityRule._meta.db_table} WHERE impact = %s AND urgency = %s"


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
