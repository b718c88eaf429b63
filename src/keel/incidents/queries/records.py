"""Reads on incidents as models, always starting from the user who asks; and the reference data
around them (categories, the priority matrix, the people an agent logs for)."""

from collections.abc import Sequence
from typing import Final

from django.db.models import F, Q, QuerySet, prefetch_related_objects

from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.activity.models import Attachment
from keel.activity.queries import attachments_of
from keel.incidents.actions._record import SUBJECT
from keel.incidents.models import Category, Incident, pk_from_number
from keel.incidents.permissions import can_see_work_notes, can_transition_incident
from keel.incidents.queries.listing import IncidentFilters
from keel.incidents.rows import matrix_priority, page_of, visible_filter
from keel.incidents.states import DEFAULT_PRIORITY_MATRIX, TRANSITIONS, IncidentState, Level, Priority
from keel.lib.errors import InvalidInput, NotFound
from keel.lib.paging import Page
from keel.lib.references import by_reference

# No joins: a page loads its rows, then the people they name in one query and each small reference
# table in one query; joined, planning and hashing cost more than the page (bench/README.md).
_RELATIONS: Final = [field for field in Incident._meta.concrete_fields if field.is_relation]
PEOPLE: Final = tuple(field.name for field in _RELATIONS if field.related_model is User)
# The parent is left to load when it is shown (the record page's edit form): few incidents have one.
REFERENCES: Final = tuple(
    field.name for field in _RELATIONS if field.related_model is not User and field.name not in {"parent"}
)


def attach_related(incidents: Sequence[Incident]) -> None:
    """Load what a list row or the record page shows, in a constant number of queries."""
    people_ids = {getattr(incident, f"{name}_id") for incident in incidents for name in PEOPLE} - {None}
    people = User.objects.in_bulk(people_ids)
    for incident in incidents:
        for name in PEOPLE:
            setattr(incident, name, people.get(getattr(incident, f"{name}_id")))
    prefetch_related_objects(list(incidents), *REFERENCES)


def viewer_of(user: User) -> int | None:
    """Who the visibility rule is about: None for someone who may see every incident (IT staff);
    anyone else sees the incidents they called in or watch (``rows.visible_to``)."""
    return None if user.can(Capability.VIEW_ALL_INCIDENTS) else user.pk


def incidents_visible_to(user: User) -> QuerySet[Incident]:
    """The incidents this user may see, as a query to refine."""
    incidents = Incident.objects.all()
    viewer = viewer_of(user)
    return incidents if viewer is None else incidents.filter(visible_filter(viewer))


def get_incident_for(user: User, number: str) -> Incident:
    """The incident with this number if the user may see it; NotFound otherwise (we never say which)."""
    incident = _numbered(user, number).first()
    if incident is None:
        raise not_found(number)
    attach_related([incident])
    return incident


def _numbered(user: User, number: str) -> QuerySet[Incident]:
    pk = pk_from_number(number)
    return incidents_visible_to(user).filter(pk=pk) if pk is not None else Incident.objects.none()


def not_found(number: str) -> NotFound:
    return NotFound(f"No incident {number!r} that you can see; check the number (e.g. INC0000042).")


def attachments_for(user: User, incident: Incident) -> QuerySet[Attachment]:
    """The incident's files this user may download: those of work notes only for IT staff."""
    return attachments_of(SUBJECT, incident.pk, include_private=can_see_work_notes(user))


def attachment_for(user: User, incident: Incident, attachment_id: str) -> Attachment:
    """One of the incident's files this user may download; NotFound otherwise."""
    pk = int(attachment_id) if attachment_id.isascii() and attachment_id.isdigit() and len(attachment_id) < 19 else None
    attachment = attachments_for(user, incident).filter(pk=pk).first() if pk is not None else None
    if attachment is None:
        raise NotFound(f"{incident.number} has no attachment {attachment_id!r} that you can see.")
    return attachment


def parent_for(user: User, reference: str | int, *, field: str = "parent") -> Incident:
    """The incident ``reference`` numbers, to make another one part of, if ``user`` may see it;
    one they may not see is refused exactly as one that does not exist."""
    parent = _numbered(user, str(reference)).first()
    if parent is None:
        raise no_parent(reference, field=field)
    return parent


def no_parent(reference: object, *, field: str = "parent") -> InvalidInput:
    return InvalidInput(
        f"No incident {reference!r} to use as parent; give the number of one you can see (e.g. INC0000042).",
        field=field,
    )


IncidentPage = Page[Incident]


def incident_page(user: User, filters: IncidentFilters, *, offset: int, limit: int) -> IncidentPage:
    """One page of the incidents this user may see (models with what a row shows), counted up to COUNT_CAP."""
    ids = page_of(viewer_of(user), filters, columns=("id",), offset=offset, limit=limit)
    by_id = Incident.objects.in_bulk([pk for (pk,) in ids.items])
    rows = [by_id[pk] for (pk,) in ids.items]
    attach_related(rows)
    return Page(items=rows, count=ids.count, count_is_capped=ids.count_is_capped, offset=offset, limit=limit)


def priority_for(impact: Level, urgency: Level) -> Priority:
    """The matrix's priority for this impact and urgency (the built-in matrix for a missing cell)."""
    cell = matrix_priority(int(impact), int(urgency))
    return DEFAULT_PRIORITY_MATRIX[(impact, urgency)] if cell is None else Priority(cell)


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
