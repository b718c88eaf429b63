"""API shapes for the CMDB: what clients send and what they get back."""

from typing import Any

from pydantic import BaseModel, Field

from keel.cmdb.kinds import CIStatus, Environment, RelationshipKind
from keel.lib.api import MAX_INT, Body, Reference, omittable, refused
from keel.lib.text import DESCRIPTION_MAX


class CITypeIn(Body):
    slug: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=DESCRIPTION_MAX)


class CITypePatch(Body):
    slug: str = omittable(min_length=1, max_length=60)
    name: str = omittable(min_length=1, max_length=100)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX, description="null: empty it.")


class CIIn(Body):
    name: str = Field(min_length=1, max_length=200)
    type: str = Field(description="CI type slug, e.g. 'server'.")
    criticality: int = Field(3, ge=1, le=5, description="1 (critical) to 5 (minimal).")
    status: CIStatus = CIStatus.IN_SERVICE
    environment: Environment = Environment.PRODUCTION
    aliases: list[str] = []
    owner_team: Reference | None = Field(None, description="Team id or slug.")
    support_group: Reference | None = Field(None, description="Team id or slug.")
    location: str = ""
    attributes: dict[str, Any] = {}
    description: str = Field("", max_length=DESCRIPTION_MAX)


class CIPatch(Body):
    """Only the fields sent change; null empties the teams and the description (nothing else)."""

    name: str = omittable(min_length=1, max_length=200)
    type: str = omittable(description="CI type slug.")
    criticality: int = omittable(ge=1, le=5)
    status: CIStatus = omittable()
    environment: Environment = omittable()
    aliases: list[str] = omittable()
    owner_team: Reference | None = None
    support_group: Reference | None = None
    location: str = omittable()
    attributes: dict[str, Any] = omittable()
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)


class RelationshipIn(Body):
    source: Reference = Field(description="CI id or name.")
    target: Reference = Field(description="CI id or name.")
    kind: RelationshipKind


class RelationshipPatch(Body):
    kind: RelationshipKind = omittable()
    source: Reference | None = refused("The ends of a relationship are what it is: delete it and relate anew.")
    target: Reference | None = refused("The ends of a relationship are what it is: delete it and relate anew.")


class ServiceIn(Body):
    name: str = Field(min_length=1, max_length=150)
    users: int = Field(0, ge=0, le=MAX_INT)
    criticality: int = Field(3, ge=1, le=5, description="Business criticality, 1 (critical) to 5 (minimal).")
    description: str = Field("", max_length=DESCRIPTION_MAX)
    owner_team: Reference | None = None
    ci: Reference | None = Field(None, description="The CI standing for it; one is created when omitted.")


class ServicePatch(Body):
    """Only the fields sent change; null empties the team, the CI and the description."""

    name: str = omittable(min_length=1, max_length=150)
    users: int = omittable(ge=0, le=MAX_INT)
    criticality: int = omittable(ge=1, le=5)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    owner_team: Reference | None = None
    ci: Reference | None = None


class CITypeOut(BaseModel):
    id: int
    slug: str
    name: str
    description: str


class CIRef(BaseModel):
    id: int
    name: str


class CIOut(BaseModel):
    id: int
    name: str
    type: str
    status: str
    environment: str
    criticality: int
    aliases: list[str]
    owner_team: str | None
    support_group: str | None
    location: str
    attributes: dict[str, Any]
    description: str
    service: str | None = Field(description="The business service this CI stands for, if any.")


class CIListOut(BaseModel):
    items: list[CIOut]
    offset: int
    limit: int
    has_more: bool


class RelationshipOut(BaseModel):
    id: int
    source: CIRef
    kind: str
    target: CIRef


class RelationshipListOut(BaseModel):
    items: list[RelationshipOut]
    count: int
    count_is_capped: bool = Field(description="True when more than `count` relationships match; counting stops there.")
    offset: int
    limit: int


class ServiceOut(BaseModel):
    id: int
    name: str
    users: int
    criticality: int
    description: str
    owner_team: str | None
    ci: CIRef | None


class ImpactCIOut(BaseModel):
    id: int
    name: str
    type: str
    criticality: int
    distance: int


class ImpactServiceOut(BaseModel):
    id: int
    name: str
    users: int
    criticality: int
    distance: int


class ImpactOut(BaseModel):
    ci: CIRef
    direction: str
    depth: int
    cis: list[ImpactCIOut]
    services: list[ImpactServiceOut]
    users: int = Field(description="Users of the business services reached, added up.")
    in_cycle: bool = Field(description="The CI reaches itself: it is on a dependency cycle.")


class ImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
