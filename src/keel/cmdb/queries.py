"""Reads on the CMDB. Everyone signed in may read it, so these take no user."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service
from keel.lib.references import by_reference


def service_by_reference(reference: str | int, *, field: str = "service") -> Service:
    return by_reference(
        Service.objects.all(),
        reference,
        key="name",
        field=field,
        what="service",
        give="a service id or its exact name",
    )


def ci_by_reference(reference: str | int, *, field: str = "ci") -> ConfigurationItem:
    return by_reference(
        ConfigurationItem.objects.select_related("ci_type"),
        reference,
        key="name",
        field=field,
        what="configuration item",
        give="a CI id or its exact name",
    )


def ci_type_by_reference(reference: str | int, *, field: str = "type") -> CIType:
    return by_reference(
        CIType.objects.all(),
        reference,
        key="slug",
        field=field,
        what="CI type",
        give="a CI type slug such as 'server' (GET /api/v1/ci-types lists them)",
    )


def relationship_by_id(pk: int) -> Relationship:
    return by_reference(
        Relationship.objects.select_related("source", "target"),
        pk,
        key="pk",
        field="id",
        what="relationship",
        give="the id of an existing relationship",
    )


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
