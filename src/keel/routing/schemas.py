"""What the routing API reads and answers."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from keel.lib.api import MAX_INT, Body, Flag, Reference, omittable

ChannelName = Literal["portal", "phone", "email", "monitoring", "api", "chat", "walk_in"]
LevelName = Literal["high", "medium", "low"]
Id = Annotated[int, Field(ge=1, le=MAX_INT)]
# A word, department or location: some text that is not only spaces.
Word = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class RoutingRuleIn(Body):
    """A routing rule: its conditions (each empty matches anything) and where it routes."""

    name: Name
    position: int = Field(100, ge=0, le=MAX_INT, description="Rules are tried lowest first.")
    is_active: Flag = True
    description: str = Field("", max_length=2000)
    category_ids: list[Id] = Field([], description="Incident category ids.")
    subcategory_ids: list[Id] = []
    service_ids: list[Id] = Field([], description="Business service ids.")
    ci_ids: list[Id] = []
    ci_type_ids: list[Id] = []
    channels: list[ChannelName] = []
    priorities: list[Annotated[int, Field(ge=1, le=5)]] = []
    caller_vip: Flag | None = Field(None, description="true: VIP callers only; false: others only; null: any.")
    caller_departments: list[Word] = []
    caller_locations: list[Word] = []
    source_ids: list[Id] = Field([], description="Monitoring source ids (incidents opened from alerts).")
    labels: dict[Label, Label] = Field({}, description='Alert labels that must all be equal, e.g. {"site": "paris"}.')
    words: list[Word] = Field([], description="Any of these in the title or description (case ignored).")
    assignment_group: Reference = Field(description="Team id or slug.")
    set_urgency: LevelName | None = None
    set_impact: LevelName | None = None


class RoutingRulePatch(Body):
    """Only the fields sent change; null empties caller_vip, set_urgency or set_impact."""

    name: Name = omittable()
    position: int = omittable(ge=0, le=MAX_INT)
    is_active: Flag = omittable()
    description: str = omittable(max_length=2000)
    category_ids: list[Id] = omittable()
    subcategory_ids: list[Id] = omittable()
    service_ids: list[Id] = omittable()
    ci_ids: list[Id] = omittable()
    ci_type_ids: list[Id] = omittable()
    channels: list[ChannelName] = omittable()
    priorities: list[Annotated[int, Field(ge=1, le=5)]] = omittable()
    caller_vip: Flag | None = None
    caller_departments: list[Word] = omittable()
    caller_locations: list[Word] = omittable()
    source_ids: list[Id] = omittable()
    labels: dict[Label, Label] = omittable()
    words: list[Word] = omittable()
    assignment_group: Reference = omittable()
    set_urgency: LevelName | None = None
    set_impact: LevelName | None = None


class RoutingGroupOut(BaseModel):
    id: int
    slug: str
    name: str


class RoutingRuleOut(BaseModel):
    id: int
    name: str
    position: int
    is_active: bool
    description: str
    category_ids: list[int]
    subcategory_ids: list[int]
    service_ids: list[int]
    ci_ids: list[int]
    ci_type_ids: list[int]
    channels: list[str]
    priorities: list[int]
    caller_vip: bool | None
    caller_departments: list[str]
    caller_locations: list[str]
    source_ids: list[int]
    labels: dict[str, str]
    words: list[str]
    assignment_group: RoutingGroupOut
    set_urgency: LevelName | None
    set_impact: LevelName | None


StrategyName = Literal["round_robin", "least_loaded", "on_call"]


class GroupAssignmentIn(Body):
    """A group that hands routed incidents to a member (without one, they wait in its queue)."""

    team: Reference = Field(description="Team id or slug.")
    strategy: StrategyName = "round_robin"


class GroupAssignmentPatch(Body):
    strategy: StrategyName = omittable()


class GroupAssignmentOut(BaseModel):
    team: RoutingGroupOut
    strategy: StrategyName
    last_assignee: str | None = Field(description="Username of the member who got the last one.")
