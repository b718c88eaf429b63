"""API shapes for incidents: what clients send and what they get back."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from keel.incidents.states import REQUIRED_FOR, Channel, HoldReason, IncidentState, ResolutionCode
from keel.lib.api import MAX_INT, Body, Flag, NamedOut, Reference, UtcDateTime, omittable, refused
from keel.lib.text import COMMENT_MAX, DESCRIPTION_MAX, NOTE_MAX

# Plain pydantic models, not ninja.Schema: the API builds its own dicts, and Schema's ORM-attribute
# resolver is costly on a page of incidents (bench/README.md).

LevelName = Literal["high", "medium", "low"]


class IncidentIn(Body):
    title: str = Field(min_length=1, max_length=200, pattern=r"\S")
    description: str = Field("", max_length=DESCRIPTION_MAX)
    caller: Reference | None = Field(None, description="User id or username; defaults to the token's user.")
    channel: Channel | None = Field(
        None, description="How it was reported: the service desk's to say; left out, api (a requester's always is)."
    )
    category: Reference | None = None
    subcategory: Reference | None = None
    service: Reference | None = None
    ci: Reference | None = None
    impact: LevelName | None = Field(
        None,
        description="Left out: Keel's proposal from the CMDB when a ci is given (GET /cis/{ci}/proposal), else low. "
        "The service desk's to say: a requester leaves it out.",
    )
    urgency: LevelName = "low"
    assignment_group: Reference | None = Field(None, description="Team id or slug.")
    assignee: Reference | None = None
    parent: str | None = Field(None, description="Number of the parent incident, e.g. INC0000042.")


class IncidentPatch(Body):
    """Only the fields sent change; null empties the references that may be empty (the others
    cannot be null)."""

    title: str = omittable(min_length=1, max_length=200, pattern=r"\S")
    description: str = omittable(max_length=DESCRIPTION_MAX)
    caller: Reference = omittable()
    channel: Channel = omittable()
    category: Reference | None = None
    subcategory: Reference | None = None
    service: Reference | None = None
    ci: Reference | None = None
    impact: LevelName = omittable()
    urgency: LevelName = omittable()
    assignment_group: Reference | None = None
    assignee: Reference | None = None
    parent: str | None = None
    state: str | None = refused("Changed through POST /api/v1/incidents/{number}/transitions, not here.")
    priority: str | None = refused("Computed from impact and urgency: change those instead.")


def _required_for_each_target() -> dict[str, Any]:
    """What a move into each state must be given (REQUIRED_FOR), as the document says it."""
    return {
        "allOf": [
            {
                "if": {"properties": {"to": {"const": target.value}}, "required": ["to"]},
                "then": {
                    "required": list(fields),
                    "properties": {name: {"not": {"type": "null"}} for name in fields},
                },
            }
            for target, fields in REQUIRED_FOR.items()
        ]
    }


class TransitionIn(Body):
    """A move to ``to``; a reopen must also say why, in ``note``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_required_for_each_target())

    to: IncidentState
    note: str = Field("", max_length=NOTE_MAX)
    resolution_code: ResolutionCode | None = None
    resolution_notes: str = Field("", max_length=NOTE_MAX)
    hold_reason: HoldReason | None = None
    assignment_group: Reference | None = None


class CommentIn(Body):
    body: str = Field(min_length=1, max_length=COMMENT_MAX)
    public: Flag = True


class PersonOut(BaseModel):
    id: int
    username: str
    name: str


class TeamOut(BaseModel):
    id: int
    slug: str
    name: str


class SlaClockOut(BaseModel):
    name: Literal["response", "resolution"]
    policy: str
    state: Literal["running", "paused", "met", "breached", "cancelled"]
    target_at: UtcDateTime | None = Field(description="When the target is reached, while running.")
    target_seconds: int
    business_seconds_elapsed: int
    business_seconds_left: int
    breached_at: UtcDateTime | None
    overdue: bool = Field(description="Running and past its target now (a breach is recorded by the next sweep).")


class SlaHistoryOut(BaseModel):
    kind: str
    label: str
    at: UtcDateTime
    recorded_at: UtcDateTime
    business_seconds: int | None = Field(description="Business seconds counted when it happened.")
    detail: str
    percent: int | None
    target_seconds: int | None


class SlaClockDetailOut(SlaClockOut):
    current: bool
    percent: int
    started_at: UtcDateTime
    ended_at: UtcDateTime | None
    paused_since: UtcDateTime | None
    history: list[SlaHistoryOut]


class IncidentOut(BaseModel):
    number: str
    title: str
    description: str
    state: IncidentState
    hold_reason: HoldReason | Literal[""]
    impact: LevelName
    urgency: LevelName
    priority: str
    channel: Channel
    caller: PersonOut
    opened_by: PersonOut
    category: NamedOut | None
    subcategory: NamedOut | None
    service: NamedOut | None
    ci: NamedOut | None
    assignment_group: TeamOut | None
    assignee: PersonOut | None
    resolution_code: ResolutionCode | Literal[""]
    resolution_notes: str
    parent: str | None
    reassignment_count: int
    reopen_count: int
    first_contact_resolution: bool
    opened_at: UtcDateTime
    first_response_at: UtcDateTime | None
    resolved_at: UtcDateTime | None
    closed_at: UtcDateTime | None
    updated_at: UtcDateTime
    version: int
    sla: list[SlaClockOut]


class IncidentListOut(BaseModel):
    items: list[IncidentOut]
    count: int
    count_is_capped: bool = Field(description="True when more than `count` incidents match; counting stops there.")
    offset: int
    limit: int


class TimelineEntryOut(BaseModel):
    id: int
    at: UtcDateTime
    kind: str
    summary: str
    body: str
    public: bool
    actor: PersonOut | None
    data: dict[str, object]


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    public: bool
    uploaded_at: UtcDateTime
    uploaded_by: PersonOut | None


class ProposalServiceOut(BaseModel):
    id: int
    name: str
    users: int
    criticality: int
    distance: int = Field(description="Steps from the CI up to the service (0: the CI stands for it).")


class ImpactProposalOut(BaseModel):
    ci: NamedOut
    impact: LevelName = Field(description="What Keel proposes for a new incident on this CI.")
    reasons: list[str]
    services: list[ProposalServiceOut] = Field(description="Business services that depend on the CI.")
    users: int = Field(description="Users of those services, added up.")
    open_incidents: int = Field(description="Incidents open on the CI now.")


class EscalateIn(Body):
    note: str = Field(min_length=1, max_length=NOTE_MAX, pattern=r"\S", description="Why it needs escalating.")
    to: Literal["next_tier", "manager"] = Field(
        "next_tier",
        description="next_tier: hand it to the group's next tier (functional); "
        "manager: tell the group's manager (hierarchical).",
    )


class RoutingTestIn(Body):
    """An incident as the service desk would log it: which routing rule would take it, and why each
    rule before it would not."""

    title: str = Field(min_length=1, max_length=200, pattern=r"\S")
    description: str = Field("", max_length=DESCRIPTION_MAX)
    caller: Reference | None = Field(None, description="User id or username; defaults to the token's user.")
    channel: Channel = Channel.PHONE
    category: Reference | None = None
    subcategory: Reference | None = None
    service: Reference | None = None
    ci: Reference | None = None
    impact: LevelName | None = Field(None, description="Left out: Keel's proposal from the CMDB for the ci, else low.")
    urgency: LevelName = "low"
    source_id: int | None = Field(
        None, ge=1, le=MAX_INT, description="A monitoring source id, as for an alert's incident."
    )
    labels: dict[str, str] = Field({}, description="The alert's labels, with source_id.")


class RoutingRuleRef(BaseModel):
    id: int
    name: str


class RoutingMiss(BaseModel):
    rule: RoutingRuleRef
    reason: str


class RoutingTestOut(BaseModel):
    rule: RoutingRuleRef | None = Field(description="The first rule that matches; null: none does.")
    assignment_group: TeamOut | None = Field(description="Where it would go: the rule's group, else the default group.")
    impact: LevelName
    urgency: LevelName
    priority: int
    not_matched: list[RoutingMiss] = Field(
        description="The rules tried before, each with the first condition that failed."
    )
