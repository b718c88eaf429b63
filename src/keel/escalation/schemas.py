"""What the escalation API reads and answers."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from keel.lib.api import MAX_INT, Body, Flag, omittable

ChannelName = Literal["portal", "phone", "email", "monitoring", "api", "chat", "walk_in"]
TargetName = Literal["group_manager", "managers_manager", "incident_managers", "on_call", "on_call_secondary"]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S")]
GroupId = Annotated[int, Field(ge=1, le=MAX_INT)]
Priority = Annotated[int, Field(ge=1, le=5)]
StepKey = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9]+$")]


class EscalationStepIn(BaseModel):
    """One step. ``no_response``: ``minutes`` after opening with nobody on it; ``sla``: when the
    ``clock`` used ``percent`` of its target (100: breached); ``unacknowledged``: ``minutes`` after
    the first page with no acknowledgement."""

    key: StepKey | None = Field(None, description="Send back a step's key to keep it; leave out for a new step.")
    when: Literal["no_response", "sla", "unacknowledged"]
    notify: list[TargetName] = Field(min_length=1)
    page: Flag = Field(False, description="Ask them to acknowledge (a page), not only tell them.")
    minutes: int | None = Field(None, ge=0, le=7 * 24 * 60)
    clock: Literal["response", "resolution"] | None = None
    percent: int | None = Field(None, ge=1, le=100)


class EscalationPolicyIn(Body):
    """An escalation policy: which open incidents it covers (each empty condition matches any) and its steps."""

    name: Name
    position: int = Field(100, ge=0, le=MAX_INT, description="The first active policy that matches applies.")
    is_active: Flag = True
    description: str = Field("", max_length=2000)
    priorities: list[Priority] = []
    group_ids: list[GroupId] = Field([], description="Assignment group ids.")
    channels: list[ChannelName] = []
    steps: list[EscalationStepIn] = Field(min_length=1, max_length=20)


class EscalationPolicyPatch(Body):
    name: Name = omittable()
    position: int = omittable(ge=0, le=MAX_INT)
    is_active: Flag = omittable()
    description: str = omittable(max_length=2000)
    priorities: list[Priority] = omittable()
    group_ids: list[GroupId] = omittable()
    channels: list[ChannelName] = omittable()
    steps: list[EscalationStepIn] = omittable(min_length=1, max_length=20)


class EscalationStepOut(BaseModel):
    key: str
    when: str
    notify: list[str]
    page: bool
    minutes: int | None = None
    clock: str | None = None
    percent: int | None = None
    summary: str


class EscalationPolicyOut(BaseModel):
    id: int
    name: str
    position: int
    is_active: bool
    description: str
    priorities: list[int]
    group_ids: list[int]
    channels: list[str]
    steps: list[EscalationStepOut]
