"""What the on-call API reads and answers (every name starts with Oncall: schema names are shared
by the whole API document)."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from keel.lib.api import MAX_INT, Body, Reference, UtcDateTime, omittable
from keel.sla.schemas import CLOCK_TIME, WindowIO

Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"\S")]
Zone = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"\S")]
Tier = Annotated[int, Field(ge=1, le=9, description="1 primary, 2 secondary, …")]
Position = Annotated[int, Field(ge=0, le=MAX_INT, description="Higher layers win where they have someone.")]
ShiftDays = Annotated[int, Field(ge=1, le=28, description="Days per shift, for a custom rotation.")]
RotationName = Literal["daily", "weekly", "custom"]
WeekdayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HandoffTime = Annotated[str, Field(description="HH:MM, the schedule's local time.", pattern=CLOCK_TIME)]
StartDate = Annotated[date, Field(description="The first handoff is on this date (weekly: the next handoff weekday).")]
Note = Annotated[str, StringConstraints(max_length=200)]
Member = Reference


class OncallScheduleIn(Body):
    """A team's schedule for one tier."""

    team: Reference = Field(description="Team id or slug.")
    name: Name
    time_zone: Zone = Field(description="IANA name, e.g. Europe/Berlin.")
    tier: Tier = 1
    description: str = Field("", max_length=2000)


class OncallSchedulePatch(Body):
    team: Reference = omittable()
    name: Name = omittable()
    time_zone: Zone = omittable()
    tier: Tier = omittable()
    description: str = omittable(max_length=2000)


class OncallTeamOut(BaseModel):
    id: int
    slug: str
    name: str


class OncallScheduleOut(BaseModel):
    id: int
    name: str
    team: OncallTeamOut
    time_zone: str
    tier: int
    description: str


class OncallPersonOut(BaseModel):
    id: int
    username: str
    name: str


class OncallScheduleRefOut(BaseModel):
    id: int
    name: str
    time_zone: str


class OncallLayerIn(Body):
    """A rotation: members take turns, each for a shift starting at the handoff (local time)."""

    schedule: Reference = Field(description="Schedule id or name.")
    name: Name
    position: Position = 1
    rotation: RotationName = "weekly"
    shift_days: ShiftDays | None = Field(None, description="Custom rotations: days per shift (1–28).")
    handoff_time: HandoffTime
    handoff_weekday: WeekdayName | None = Field(None, description="Weekly: the handoff day (default: start_date's).")
    start_date: StartDate
    members: list[Member] = Field([], description="User ids or usernames, in turn order: active IT staff.")
    restrictions: list[WindowIO] = Field([], description="Weekly windows it covers (local time); empty: always.")


class OncallLayerPatch(Body):
    name: Name = omittable()
    position: Position = omittable()
    rotation: RotationName = omittable()
    shift_days: ShiftDays = omittable()
    handoff_time: HandoffTime = omittable()
    handoff_weekday: WeekdayName = omittable()
    start_date: StartDate = omittable()
    members: list[Member] = omittable()
    restrictions: list[WindowIO] = omittable()


class OncallLayerOut(BaseModel):
    id: int
    schedule: OncallScheduleRefOut
    name: str
    position: int
    rotation: RotationName
    shift_days: int
    handoff_time: str
    handoff_weekday: WeekdayName | None
    start_date: date
    members: list[OncallPersonOut]
    restrictions: list[WindowIO]


class OncallOverrideIn(Body):
    """“I cover for Bob on Saturday”: this person is on call for the schedule from starts_at to ends_at."""

    schedule: Reference = Field(description="Schedule id or name.")
    person: Reference = Field(description="User id or username: active IT staff.")
    starts_at: datetime = Field(description="ISO 8601 with a zone, e.g. 2026-03-28T08:00:00Z.")
    ends_at: datetime = Field(description="After starts_at; at most 366 days later.")
    note: Note = ""


class OncallOverridePatch(Body):
    person: Reference = omittable()
    starts_at: datetime = omittable()
    ends_at: datetime = omittable()
    note: Note = omittable()


class OncallOverrideOut(BaseModel):
    id: int
    schedule: OncallScheduleRefOut
    person: OncallPersonOut
    starts_at: UtcDateTime
    ends_at: UtcDateTime
    note: str


class OncallTierOut(BaseModel):
    tier: int
    schedule: OncallScheduleRefOut
    person: OncallPersonOut | None = Field(description="Nobody: null.")
    starts_at: UtcDateTime | None = Field(description="When this person's stint began.")
    ends_at: UtcDateTime | None = Field(description="The next handoff.")
    source: Literal["override", "layer"] | None
    layer: str | None = Field(description="The layer's name, for a layer's shift.")


class OncallOut(BaseModel):
    team: OncallTeamOut
    at: UtcDateTime
    tiers: list[OncallTierOut] = Field(description="Primary first.")
