"""REST API v1 for the CMDB: CI types, CIs, relationships, services, impact, CSV import/export.

Everyone with a token reads; the actions refuse writes from anyone but configuration managers and admins.
"""

from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Annotated, Any, Final

from django.db.models import Model
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Path, Query, Router, Schema, Status
from pydantic import WithJsonSchema

from keel.accounts.api import user_of
from keel.accounts.models import Team
from keel.cmdb.actions import records, relationships
from keel.cmdb.actions.transfer import IMPORTERS
from keel.cmdb.impact import DEFAULT_DEPTH, MAX_DEPTH, Direction, impact_of, parse_depth, parse_direction
from keel.cmdb.kinds import FIELD_OF_NAME, RelationshipKind
from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service
from keel.cmdb.queries import (
    CIFilters,
    RelationshipFilters,
    ci_by_reference,
    ci_type_by_reference,
    ci_types,
    cis_matching,
    get_ci,
    get_ci_type,
    get_relationship,
    get_service,
    relationship_page,
    services,
)
from keel.cmdb.schemas import (
    CIIn,
    CIListOut,
    CIOut,
    CIPatch,
    CITypeIn,
    CITypeOut,
    CITypePatch,
    ImpactOut,
    ImportOut,
    RelationshipIn,
    RelationshipListOut,
    RelationshipOut,
    RelationshipPatch,
    ServiceIn,
    ServiceOut,
    ServicePatch,
)
from keel.cmdb.transfer import EXPORTERS, utf8_lines
from keel.idempotency.api import idempotent
from keel.lib.api import IfMatchHeader, created, one_of, page_limit, page_offset, tagged
from keel.lib.csv import csv_response
from keel.lib.errors import InvalidInput
from keel.lib.references import by_reference

router = Router(tags=["cmdb"])


class CIQuery(Schema):
    q: str | None = None
    type: str | None = None
    limit: int = page_limit(most=500)
    offset: int = page_offset()


class RelationshipQuery(Schema):
    source: str | None = None
    target: str | None = None
    kind: str | None = one_of(RelationshipKind.values)
    limit: int = page_limit(most=500)
    offset: int = page_offset()


class ImpactQuery(Schema):
    direction: str = one_of([direction.value for direction in Direction], "up")
    depth: str = one_of([str(steps) for steps in range(1, MAX_DEPTH + 1)], str(DEFAULT_DEPTH))


# --- CI types ---------------------------------------------------------------------------------


@router.get("/ci-types", response=list[CITypeOut])
def list_ci_types(request: HttpRequest) -> list[dict[str, Any]]:
    return [ci_type_json(ci_type) for ci_type in ci_types()]


@router.post("/ci-types", response={201: CITypeOut})
@idempotent
def create_ci_type(request: HttpRequest, payload: CITypeIn, response: HttpResponse) -> Status[dict[str, Any]]:
    ci_type = records.create_ci_type(actor=user_of(request), **payload.model_dump())
    return created(response, f"/api/v1/ci-types/{ci_type.slug}", ci_type_json(ci_type), tag=ci_type.entity_tag)


@router.get("/ci-types/{slug}", response=CITypeOut)
def read_ci_type(request: HttpRequest, slug: str, response: HttpResponse) -> dict[str, Any]:
    ci_type = get_ci_type(slug)
    return tagged(response, ci_type.entity_tag, ci_type_json(ci_type))


@router.patch("/ci-types/{slug}", response=CITypeOut)
def patch_ci_type(
    request: HttpRequest, slug: str, payload: CITypePatch, response: HttpResponse, if_match: IfMatchHeader = None
) -> dict[str, Any]:
    changes = payload.model_dump(exclude_unset=True)
    ci_type = records.update_ci_type(get_ci_type(slug), actor=user_of(request), changes=changes, if_match=if_match)
    return tagged(response, ci_type.entity_tag, ci_type_json(ci_type))


@router.delete("/ci-types/{slug}", response={204: None})
def delete_ci_type(request: HttpRequest, slug: str, if_match: IfMatchHeader = None) -> Status[None]:
    records.delete_ci_type(get_ci_type(slug), actor=user_of(request), if_match=if_match)
    return Status(204, None)


# --- configuration items -------------------------------------------------------------------


@router.get("/cis", response=CIListOut)
def list_cis(request: HttpRequest, query: Query[CIQuery]) -> dict[str, Any]:
    matching = cis_matching(CIFilters(text=(query.q or "").strip(), type_slug=(query.type or "").strip()))
    rows = list(
        matching.select_related("owner_team", "support_group", "business_service")[
            query.offset : query.offset + query.limit + 1
        ]
    )
    return {
        "items": [ci_json(ci) for ci in rows[: query.limit]],
        "offset": query.offset,
        "limit": query.limit,
        "has_more": len(rows) > query.limit,
    }


@router.post("/cis", response={201: CIOut})
@idempotent
def create_ci(request: HttpRequest, payload: CIIn, response: HttpResponse) -> Status[dict[str, Any]]:
    ci = records.create_ci_from(actor=user_of(request), fields=_as_fields(payload.model_dump()))
    return created(response, f"/api/v1/cis/{ci.pk}", ci_json(ci), tag=ci.entity_tag)


@router.get("/cis/{reference}", response=CIOut)
def read_ci(request: HttpRequest, reference: str, response: HttpResponse) -> dict[str, Any]:
    ci = get_ci(reference)
    return tagged(response, ci.entity_tag, ci_json(ci))


@router.patch("/cis/{reference}", response=CIOut)
def patch_ci(
    request: HttpRequest, reference: str, payload: CIPatch, response: HttpResponse, if_match: IfMatchHeader = None
) -> dict[str, Any]:
    ci = get_ci(reference)
    data = payload.model_dump(exclude_unset=True)
    ci = records.update_ci(ci, actor=user_of(request), changes=_as_fields(data), if_match=if_match)
    return tagged(response, ci.entity_tag, ci_json(ci))


@router.delete("/cis/{reference}", response={204: None})
def delete_ci(request: HttpRequest, reference: str, if_match: IfMatchHeader = None) -> Status[None]:
    records.delete_ci(get_ci(reference), actor=user_of(request), if_match=if_match)
    return Status(204, None)


@router.get("/cis/{reference}/impact", response=ImpactOut)
def impact(request: HttpRequest, reference: str, query: Query[ImpactQuery]) -> dict[str, Any]:
    ci = get_ci(reference)
    found = impact_of(ci, direction=parse_direction(query.direction), depth=parse_depth(query.depth))
    return {
        "ci": {"id": ci.pk, "name": ci.name},
        "direction": found.direction.value,
        "depth": found.depth,
        "cis": [
            {
                "id": reached.id,
                "name": reached.name,
                "type": reached.type_slug,
                "criticality": reached.criticality,
                "distance": reached.distance,
            }
            for reached in found.cis
        ],
        "services": services_at_distance_json(found.services),
        "users": found.users,
        "in_cycle": found.root_in_cycle,
    }


@router.get("/cis/{reference}/relationships", response=list[RelationshipOut])
def ci_relationships(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    ci = get_ci(reference)
    rows = Relationship.objects.filter(source=ci) | Relationship.objects.filter(target=ci)
    return [relationship_json(row) for row in rows.select_related("source", "target").order_by("pk")]


# --- relationships --------------------------------------------------------------------------


@router.get("/relationships", response=RelationshipListOut)
def list_relationships(request: HttpRequest, query: Query[RelationshipQuery]) -> dict[str, Any]:
    """Relationships, oldest first; ``source``/``target`` (CI id or name) and ``kind`` narrow them."""
    filters = RelationshipFilters(
        source=ci_by_reference(query.source, field="source") if query.source else None,
        target=ci_by_reference(query.target, field="target") if query.target else None,
        kind=_kind(query.kind) if query.kind is not None else None,
    )
    return relationship_page(filters, offset=query.offset, limit=query.limit).answer(relationship_json)


@router.post("/relationships", response={201: RelationshipOut})
@idempotent
def create_relationship(
    request: HttpRequest, payload: RelationshipIn, response: HttpResponse
) -> Status[dict[str, Any]]:
    relationship = relationships.relate(
        actor=user_of(request),
        source=ci_by_reference(payload.source, field="source"),
        target=ci_by_reference(payload.target, field="target"),
        kind=payload.kind,
    )
    location = f"/api/v1/relationships/{relationship.pk}"
    return created(response, location, relationship_json(relationship), tag=relationship.entity_tag)


@router.get("/relationships/{relationship_id}", response=RelationshipOut)
def read_relationship(request: HttpRequest, relationship_id: int, response: HttpResponse) -> dict[str, Any]:
    relationship = get_relationship(relationship_id)
    return tagged(response, relationship.entity_tag, relationship_json(relationship))


@router.patch("/relationships/{relationship_id}", response=RelationshipOut)
def patch_relationship(
    request: HttpRequest,
    relationship_id: int,
    payload: RelationshipPatch,
    response: HttpResponse,
    if_match: IfMatchHeader = None,
) -> dict[str, Any]:
    """Change the kind; needer and needed follow it. The ends cannot change (delete and relate anew)."""
    relationship = get_relationship(relationship_id)
    data = payload.model_dump(exclude_unset=True)
    for end in ("source", "target"):
        if end in data:
            raise InvalidInput(
                f"{end} cannot change: a relationship is its two CIs. Delete it and POST /api/v1/relationships "
                "with the new ends.",
                field=end,
            )
    kind = str(data.get("kind", relationship.kind))
    changed = relationships.change_relationship_kind(relationship, actor=user_of(request), kind=kind, if_match=if_match)
    return tagged(response, changed.entity_tag, relationship_json(changed))


@router.delete("/relationships/{relationship_id}", response={204: None})
def delete_relationship(request: HttpRequest, relationship_id: int, if_match: IfMatchHeader = None) -> Status[None]:
    relationships.unrelate(get_relationship(relationship_id), actor=user_of(request), if_match=if_match)
    return Status(204, None)


# --- services -------------------------------------------------------------------------------


@router.get("/services", response=list[ServiceOut])
def list_services(request: HttpRequest) -> list[dict[str, Any]]:
    return [service_json(service) for service in services()]


@router.post("/services", response={201: ServiceOut})
@idempotent
def create_service(request: HttpRequest, payload: ServiceIn, response: HttpResponse) -> Status[dict[str, Any]]:
    service = records.create_service(actor=user_of(request), **_as_fields(payload.model_dump()))
    return created(response, f"/api/v1/services/{service.pk}", service_json(service), tag=service.entity_tag)


@router.get("/services/{reference}", response=ServiceOut)
def read_service(request: HttpRequest, reference: str, response: HttpResponse) -> dict[str, Any]:
    service = get_service(reference)
    return tagged(response, service.entity_tag, service_json(service))


@router.patch("/services/{reference}", response=ServiceOut)
def patch_service(
    request: HttpRequest, reference: str, payload: ServicePatch, response: HttpResponse, if_match: IfMatchHeader = None
) -> dict[str, Any]:
    service = get_service(reference)
    data = payload.model_dump(exclude_unset=True)
    service = records.update_service(service, actor=user_of(request), changes=_as_fields(data), if_match=if_match)
    return tagged(response, service.entity_tag, service_json(service))


@router.delete("/services/{reference}", response={204: None})
def delete_service(request: HttpRequest, reference: str, if_match: IfMatchHeader = None) -> Status[None]:
    records.delete_service(get_service(reference), actor=user_of(request), if_match=if_match)
    return Status(204, None)


# --- CSV ------------------------------------------------------------------------------------


# What a CSV import or export holds; another word is refused naming it.
WHAT: Final = {"type": "string", "enum": ["cis", "relationships"]}


@router.post("/cmdb/import/{what}", response=ImportOut)
def import_csv(request: HttpRequest, what: Annotated[str, WithJsonSchema(WHAT), Path(...)]) -> dict[str, Any]:
    """Send the CSV file as the request body (Content-Type: text/csv). All rows or none; see docs/api.md.

    The body is read line by line as the import goes, never whole: a 100k-CI file is larger than
    Django's in-memory body limit, and memory stays flat.
    """
    importer = _known(IMPORTERS, what)
    result = importer(utf8_lines(request), actor=user_of(request))
    return dict(result.as_dict())


@router.get("/cmdb/export/{what}")
def export_csv(request: HttpRequest, what: Annotated[str, WithJsonSchema(WHAT), Path(...)]) -> StreamingHttpResponse:
    exporter = _known(EXPORTERS, what)
    return csv_response(exporter(), filename=f"{what}.csv")


# --- rendering and parsing -----------------------------------------------------------------


def ci_type_json(ci_type: CIType) -> dict[str, Any]:
    return {"id": ci_type.pk, "slug": ci_type.slug, "name": ci_type.name, "description": ci_type.description}


def ci_json(ci: ConfigurationItem) -> dict[str, Any]:
    try:
        service: str | None = ci.business_service.name
    except Service.DoesNotExist:
        service = None
    return {
        "id": ci.pk,
        "name": ci.name,
        "type": ci.ci_type.slug,
        "status": ci.status,
        "environment": ci.environment,
        "criticality": ci.criticality,
        "aliases": ci.aliases,
        "owner_team": ci.owner_team.slug if ci.owner_team is not None else None,
        "support_group": ci.support_group.slug if ci.support_group is not None else None,
        "location": ci.location,
        "attributes": ci.attributes,
        "description": ci.description,
        "service": service,
    }


def services_at_distance_json(services: Iterable[tuple[Service, int]]) -> list[dict[str, Any]]:
    """Business services a CI's failure reaches, with how far: the impact's and the proposal's answer."""
    return [
        {
            "id": service.pk,
            "name": service.name,
            "users": service.users,
            "criticality": service.criticality,
            "distance": distance,
        }
        for service, distance in services
    ]


def relationship_json(relationship: Relationship) -> dict[str, Any]:
    return {
        "id": relationship.pk,
        "source": {"id": relationship.source.pk, "name": relationship.source.name},
        "kind": relationship.kind,
        "target": {"id": relationship.target.pk, "name": relationship.target.name},
    }


def service_json(service: Service) -> dict[str, Any]:
    return {
        "id": service.pk,
        "name": service.name,
        "users": service.users,
        "criticality": service.criticality,
        "description": service.description,
        "owner_team": service.owner_team.slug if service.owner_team is not None else None,
        "ci": {"id": service.ci.pk, "name": service.ci.name} if service.ci is not None else None,
    }


def _as_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """A request's fields as the actions take them: each reference (an id, or a name or slug) as
    its record, a null one left null (it clears the field); a choice as its value; ``type`` as ``ci_type``."""
    return {FIELD_OF_NAME.get(name, name): _as_field(name, value) for name, value in data.items()}


def _as_field(name: str, value: Any) -> Any:
    if name in _REFERENCES and value is not None:
        return _REFERENCES[name](value, field=name)
    return value.value if isinstance(value, Enum) else value


def _kind(raw: str) -> RelationshipKind:
    if raw not in RelationshipKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(RelationshipKind.values)} (got {raw!r}).", field="kind")
    return RelationshipKind(raw)


def _known[T](table: Mapping[str, T], what: str) -> T:
    if what not in table:
        raise InvalidInput(f"Import and export take 'cis' or 'relationships' (got {what!r}).", field="what")
    return table[what]


def _team(reference: str | int, *, field: str) -> Team:
    return by_reference(Team.objects.all(), reference, key="slug", field=field, what="team", give="a team id or slug")


# The fields a request names records in, and how each is found.
_REFERENCES: Final[Mapping[str, Callable[..., Model]]] = {
    "type": ci_type_by_reference,
    "owner_team": _team,
    "support_group": _team,
    "ci": ci_by_reference,
}
