"""Reads on incidents, always starting from the user who asks."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from django.db.models import F, IntegerField, Q, QuerySet, prefetch_related_objects
from django.db.models.expressions import RawSQL

from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.incidents.documents import TABLE, incident_json_sql, incident_json_with_version, with_sla
from keel.incidents.models import Category, Incident, PriorityRule, pk_from_number
from keel.incidents.permissions import can_transition_incident
from keel.incidents.states import DEFAULT_PRIORITY_MATRIX, OPEN, TRANSITIONS, IncidentState, Level, Priority
from keel.lib.errors import NotFound
from keel.lib.references import by_reference
from keel.sla.queries import incident_sla_sql

# Counting every match of a broad filter over a million rows is the peers' slowest habit. We count
# at most this many past the page's start and then say so ("1,000+"): twenty pages of 50 is more
# than anyone pages through before filtering, and counting 10,000 index entries cost more database
# time than the rest of the request (2-4 ms at 1M incidents).
COUNT_CAP: Final = 1_000

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
    page, count = _window(matching, offset, limit)
    rows = list(page.annotate(matching=count))
    attach_related(rows)
    return _page(matching, [(row, row.matching) for row in rows], offset=offset, limit=limit)


def incident_json_page(user: User, filters: IncidentFilters, *, offset: int, limit: int) -> Page[str]:
    """The same page as the API's JSON text of each incident, rendered by the database."""
    matching = filter_incidents(incidents_visible_to(user), filters)
    page, count = _window(matching, offset, limit)
    rows = page.annotate(json=incident_json_sql(), matching=count, **incident_sla_sql(TABLE))
    items = [
        (with_sla(text, sla, running), total)
        for text, total, sla, running in rows.values_list("json", "matching", "sla", "sla_running")
    ]
    return _page(matching, items, offset=offset, limit=limit)


def _window(matching: QuerySet[Incident], offset: int, limit: int) -> tuple[QuerySet[Incident], RawSQL]:
    """The page's rows, and the capped count of all matches to annotate them with (one statement).

    The page's ids come from the index alone; only those rows are then read. Asked for the page
    directly, PostgreSQL reads every match from the table to sort them when the filter spans
    several index ranges (open P1/P2: 2,000 rows for 50).
    """
    ids = matching.values("pk")[offset : offset + limit]
    # A scalar subquery without correlation: the database counts once per statement.
    capped_sql, params = matching.order_by().values("pk")[: offset + COUNT_CAP + 1].query.sql_with_params()
    count = RawSQL(f"SELECT COUNT(*) FROM ({capped_sql}) capped", params, output_field=IntegerField())
    return Incident.objects.filter(pk__in=ids).order_by(*matching.query.order_by), count


def _page[T](matching: QuerySet[Incident], rows: list[tuple[T, int]], *, offset: int, limit: int) -> Page[T]:
    ceiling = offset + COUNT_CAP
    # Past the last match no row carries the count: count alone (someone paging beyond the end).
    count = rows[0][1] if rows else matching.order_by()[: ceiling + 1].count() if offset else 0
    items = [item for item, _ in rows]
    return Page(items=items, count=min(count, ceiling), count_is_capped=count > ceiling, offset=offset, limit=limit)


def incident_json_for(user: User, number: str) -> tuple[str, int]:
    """The API's JSON text of the incident with this number, and its version (for the ETag)."""
    found = incident_json_with_version(_numbered(user, number))
    if found is None:
        raise _not_found(number)
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
