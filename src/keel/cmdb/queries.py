"""Reads on the CMDB. Everyone signed in may read it, so these take no user.

``*_by_reference`` find what a request body or form field names (unknown: 400 naming the field);
``get_*`` find what a URL path names (unknown: 404).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from django.db.models import Model, Q, QuerySet

from keel.cmdb.kinds import RelationshipKind
from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service
from keel.cmdb.rows import names_found
from keel.lib.errors import InvalidInput, KeelError, NotFound
from keel.lib.paging import Page, capped_page, narrowed
from keel.lib.references import by_reference


@dataclass(frozen=True)
class _Naming:
    """How people name one kind of record besides its id, and what a refusal tells them to give."""

    key: str
    what: str
    give: str

    def find[M: Model](self, rows: QuerySet[M], reference: str | int, *, field: str, missing: type[KeelError]) -> M:
        return by_reference(rows, reference, key=self.key, field=field, what=self.what, give=self.give, missing=missing)


_SERVICE: Final = _Naming(key="name", what="service", give="a service id or its exact name")
_CI: Final = _Naming(key="name", what="configuration item", give="a CI id or its exact name")
_CI_TYPE: Final = _Naming(
    key="slug", what="CI type", give="a CI type slug such as 'server' (GET /api/v1/ci-types lists them)"
)
_RELATIONSHIP: Final = _Naming(key="pk", what="relationship", give="the id of an existing relationship")


def service_by_reference(reference: str | int, *, field: str = "service") -> Service:
    return _SERVICE.find(Service.objects.all(), reference, field=field, missing=InvalidInput)


def get_service(reference: str | int) -> Service:
    """The service a URL names, with its CI and owner team (what its page and JSON show)."""
    return _SERVICE.find(Service.objects.select_related("ci", "owner_team"), reference, field="id", missing=NotFound)


def ci_by_reference(reference: str | int, *, field: str = "ci") -> ConfigurationItem:
    return _CI.find(ConfigurationItem.objects.select_related("ci_type"), reference, field=field, missing=InvalidInput)


def get_ci(reference: str | int) -> ConfigurationItem:
    return _CI.find(ConfigurationItem.objects.select_related("ci_type"), reference, field="id", missing=NotFound)


def ci_type_by_reference(reference: str | int, *, field: str = "type") -> CIType:
    return _CI_TYPE.find(CIType.objects.all(), reference, field=field, missing=InvalidInput)


def get_ci_type(reference: str | int) -> CIType:
    return _CI_TYPE.find(CIType.objects.all(), reference, field="slug", missing=NotFound)


def get_relationship(pk: int) -> Relationship:
    return _RELATIONSHIP.find(Relationship.objects.select_related("source", "target"), pk, field="id", missing=NotFound)


def cis_named(names: Iterable[str]) -> dict[str, int]:
    """{name: CI id} for the names some CI goes by (its name first, else the lowest id with that alias)."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    found: dict[str, int] = {}
    for name, ci_id, own in names_found(wanted):
        if own or name not in found:
            found[name] = ci_id
    return found


@dataclass(frozen=True)
class CIFilters:
    text: str = ""
    type_slug: str = ""


def cis_matching(filters: CIFilters) -> QuerySet[ConfigurationItem]:
    """CIs whose name (or an alias, on the way) contains the text, in name order."""
    cis = ConfigurationItem.objects.select_related("ci_type")
    if filters.text:
        # Aliases are a JSON list; matching its text form finds "db-7" in ["db-7.example.com"] on both databases.
        cis = cis.filter(Q(name__icontains=filters.text) | Q(aliases__icontains=filters.text))
    if filters.type_slug:
        cis = cis.filter(ci_type__slug=filters.type_slug)
    return cis.order_by("name")


def relationships_of(ci: ConfigurationItem) -> tuple[list[Relationship], list[Relationship]]:
    """(what this CI relates to, what relates to it), each with the CIs on the other end loaded."""
    outgoing = list(ci.outgoing.select_related("target__ci_type").order_by("kind", "target__name"))
    incoming = list(ci.incoming.select_related("source__ci_type").order_by("kind", "source__name"))
    return outgoing, incoming


def ci_types() -> QuerySet[CIType]:
    return CIType.objects.order_by("name")


def services() -> QuerySet[Service]:
    """Every business service in name order, with its CI and owner team."""
    return Service.objects.select_related("ci", "owner_team").order_by("name")


@dataclass(frozen=True)
class RelationshipFilters:
    source: ConfigurationItem | None = None
    target: ConfigurationItem | None = None
    kind: RelationshipKind | None = None


def relationship_page(filters: RelationshipFilters, *, offset: int, limit: int) -> Page[Relationship]:
    """One page of the relationships matching the filters, oldest first, with both CIs loaded."""
    matching = narrowed(Relationship.objects.all(), source=filters.source, target=filters.target, kind=filters.kind)
    return capped_page(matching.select_related("source", "target").order_by("pk"), offset=offset, limit=limit)
