"""API shapes for SLA calendars, policies and reports."""

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from keel.lib.api import MAX_INT, Body, Flag, NamedOut, Reference, UtcDateTime, omittable

WEEKDAYS: Final[list[JsonValue]] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
CLOCK_TIME: Final = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
Seconds = Annotated[int, Field(ge=1, le=MAX_INT)]
Percent = Annotated[int, Field(ge=1, le=99)]
PriorityNumber = Annotated[int, Field(ge=1, le=5)]
Position = Annotated[int, Field(ge=0, le=MAX_INT)]


class WindowIO(Body):
    weekday: str = Field(description="mon … sun", json_schema_extra={"enum": WEEKDAYS})
    opens: str = Field(description="HH:MM in the calendar's zone", json_schema_extra={"pattern": CLOCK_TIME})
    closes: str = Field(
        description="HH:MM; 00:00 (or 24:00) is midnight at the end of the day; 00:00–00:00 is the whole day",
        json_schema_extra={"pattern": r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"},
    )
    closes_next_day: Flag = Field(
        False,
        description="true for a night shift that closes the next morning (22:00–06:00): a window closing "
        "before it opens is refused without it. Answers set it on every window that ends the next day.",
    )


class ClosureIO(Body):
    starts: str = Field(description="Wall-clock time in the calendar's zone, e.g. 2025-12-24T13:00")
    ends: str
    name: str = ""


class RecurringClosureIO(Body):
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    name: str = ""


class HolidayOut(BaseModel):
    date: str
    name: str


class CalendarIn(Body):
    name: str
    zone: str = Field(description="IANA time zone, e.g. Europe/London")
    windows: list[WindowIO]
    holiday_country: str = Field("", description="ISO 3166 code whose public holidays close the calendar, e.g. GB")
    holiday_subdivision: str = Field("", description="Region of that country, e.g. ENG")
    closures: list[ClosureIO] = []
    recurring_closures: list[RecurringClosureIO] = []


class CalendarPatch(Body):
    """Only the fields sent change; none can be null (an empty text or list empties it)."""

    name: str = omittable()
    zone: str = omittable()
    windows: list[WindowIO] = omittable()
    holiday_country: str = omittable()
    holiday_subdivision: str = omittable()
    closures: list[ClosureIO] = omittable()
    recurring_closures: list[RecurringClosureIO] = omittable()


class CalendarOut(BaseModel):
    id: int
    name: str
    zone: str
    windows: list[WindowIO]
    holiday_country: str
    holiday_subdivision: str
    holidays: list[HolidayOut]
    closures: list[ClosureIO]
    recurring_closures: list[RecurringClosureIO]
    version: int
    updated_at: UtcDateTime


HoldReasonName = Literal["awaiting_caller", "awaiting_vendor", "awaiting_change", "awaiting_problem"]


class PolicyIn(Body):
    # A policy sets a response target, a resolution target or both.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"type": "integer"}}}
                for name in ("response_target_seconds", "resolution_target_seconds")
            ]
        },
    )
    name: str
    position: Position = Field(100, description="Policies are tried in ascending position; the first match wins.")
    is_active: Flag = True
    priority: PriorityNumber | None = Field(None, description="1–5 (P1–P5); empty matches any priority.")
    service: Reference | None = Field(None, description="Service id or name; empty matches any.")
    category_id: int | None = Field(None, description="Incident category id; empty matches any.")
    caller_vip: Flag | None = Field(None, description="true: VIP callers only; false: non-VIP only; empty: any.")
    calendar: Reference = Field(description="Calendar id or name whose business hours the targets count.")
    response_target_seconds: Seconds | None = None
    resolution_target_seconds: Seconds | None = None
    thresholds: list[Percent] = Field([50, 75, 90], description="Warning thresholds in percent of the target.")
    pausing_reasons: list[HoldReasonName] = ["awaiting_caller", "awaiting_vendor", "awaiting_change"]
    on_reopen: Literal["resume", "restart"] = "resume"


class PolicyPatch(Body):
    """Only the fields sent change; null empties a criterion or a target (nothing else)."""

    name: str = omittable()
    position: Position = omittable()
    is_active: Flag = omittable()
    priority: PriorityNumber | None = None
    service: Reference | None = None
    category_id: int | None = None
    caller_vip: Flag | None = None
    calendar: Reference = omittable()
    response_target_seconds: Seconds | None = None
    resolution_target_seconds: Seconds | None = None
    thresholds: list[Percent] = omittable()
    pausing_reasons: list[HoldReasonName] = omittable()
    on_reopen: Literal["resume", "restart"] = omittable()


class PolicyOut(BaseModel):
    id: int
    name: str
    position: int
    is_active: bool
    priority: int | None
    service: NamedOut | None
    category_id: int | None
    caller_vip: bool | None
    calendar: NamedOut
    response_target_seconds: int | None
    resolution_target_seconds: int | None
    thresholds: list[int]
    pausing_reasons: list[str]
    on_reopen: str


class ComplianceRowOut(BaseModel):
    key: int | None = Field(description="The priority, service id or group id (null: none, or not grouped).")
    period: UtcDateTime | None = Field(description="Start of the day, week or month the clocks stopped in (UTC).")
    met: int
    breached: int
    percent_within_sla: float | None


class ComplianceOut(BaseModel):
    name: Literal["response", "resolution"]
    by: str | None
    period: str | None
    rows: list[ComplianceRowOut]
