"""REST API v1 for the CMDB: CI types, CIs, relationships, services, impact, CSV import/export.

Everyone with a token reads; the actions refuse writes from anyone but configuration managers and admins.
"""

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Annotated, Any, Final

from django.db.models import Model
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Path, Query, Router, Schema
from pydantic import WithJsonSchema

from keel.accounts.api import user_of
from keel.accounts.models import Team, User
from keel.cmdb.actions import records, relationships
from keel.cmdb.actions.transfer import IMPORTERS
from keel.cmdb.documents import ci_json, ci_type_json, relationship_json, service_json, services_at_distance_json
from keel.cmdb.impact import DEFAULT_DEPTH, MAX_DEPTH, Direction, impact_of, parse_depth, parse_direction
from keel.cmdb.kinds import FIELD_OF_NAME, RelationshipKind
from keel.cmdb.models import Relationship
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
from keel.lib.api import one_of, page_limit, page_offset
from keel.lib.conditional import IfMatch
from keel.lib.csv import csv_response
from keel.lib.errors import InvalidInput
from keel.lib.references import by_reference
from keel.lib.resources import Access, Resources

router = Router(tags=["cmdb"])
resource = Resources(router, __name__, Access(read=user_of, write=user_of, once=idempotent))


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


# --- parsing ---------------------------------------------------------------------------------


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


# --- CI types ---------------------------------------------------------------------------------


CI_TYPES = resource(
    "/ci-types", one="ci_type", many="ci_types", find=get_ci_type, document=ci_type_json, out=CITypeOut, key="slug"
)
CI_TYPES.listing(ci_types)
CI_TYPES.creating(CITypeIn, lambda actor, fields: records.create_ci_type(actor=actor, **fields))
CI_TYPES.reading()
CI_TYPES.changing(CITypePatch, records.update_ci_type)
CI_TYPES.deleting(records.delete_ci_type)


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


CIS = resource("/cis", one="ci", many="cis", find=get_ci, document=ci_json, out=CIOut, fields=_as_fields)
CIS.creating(CIIn, records.create_ci_from)
CIS.reading()
CIS.changing(CIPatch, records.update_ci)
CIS.deleting(records.delete_ci)


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


RELATIONSHIPS = resource(
    "/relationships",
    one="relationship",
    many="relationships",
    find=get_relationship,
    document=relationship_json,
    out=RelationshipOut,
    reference=int,
)


def _relate(*, actor: User | None, fields: Mapping[str, Any]) -> Relationship:
    source = ci_by_reference(fields["source"], field="source")
    target = ci_by_reference(fields["target"], field="target")
    return relationships.relate(actor=actor, source=source, target=target, kind=fields["kind"])


def _change_kind(
    relationship: Relationship, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None
) -> Relationship:
    """Change the kind; needer and needed follow it. The ends cannot change (delete and relate anew)."""
    for end in ("source", "target"):
        if end in changes:
            raise InvalidInput(
                f"{end} cannot change: a relationship is its two CIs. Delete it and POST /api/v1/relationships "
                "with the new ends.",
                field=end,
            )
    kind = str(changes.get("kind", relationship.kind))
    return relationships.change_relationship_kind(relationship, actor=actor, kind=kind, if_match=if_match)


RELATIONSHIPS.creating(RelationshipIn, _relate)
RELATIONSHIPS.reading()
RELATIONSHIPS.changing(RelationshipPatch, _change_kind, description=_change_kind.__doc__)
RELATIONSHIPS.deleting(relationships.unrelate)


# --- services -------------------------------------------------------------------------------


SERVICES = resource(
    "/services",
    one="service",
    many="services",
    find=get_service,
    document=service_json,
    out=ServiceOut,
    fields=_as_fields,
)
SERVICES.listing(services)
SERVICES.creating(ServiceIn, lambda actor, fields: records.create_service(actor=actor, **fields))
SERVICES.reading()
SERVICES.changing(ServicePatch, records.update_service)
SERVICES.deleting(records.delete_service)


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
