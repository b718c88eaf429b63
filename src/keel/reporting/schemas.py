"""The reports' API schemas: hotspots and the audit trail."""

from typing import Annotated, Final, Literal

from ninja import Field, Schema
from pydantic import BaseModel, WithJsonSchema

from keel.lib.api import UtcDateTime, a_date, one_of, page_limit, page_offset
from keel.lib.doors import Door
from keel.reporting.audit import MAX_ID, SUBJECT_TYPE
from keel.reporting.hotspots import HotspotBy

# What `since` and `until` take, on every report.
MOMENT: Final = "A date (2026-11-01: the whole day, UTC) or a time (2026-11-01T09:30:00Z)."
# A date or a time, as text: the audit's parser names the parameter when it is neither.
Moment = Annotated[
    str,
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}),
]


class HotspotQuery(Schema):
    by: str = one_of(HotspotBy, "ci")
    since: str | None = a_date(description="The first day counted (UTC); 90 days before until by default.")
    until: str | None = a_date(description="The last day counted (UTC); today by default.")


class HotspotOut(BaseModel):
    rank: int
    id: int
    name: str
    incidents: int
    open: int
    mttr_hours: float | None
    mtbf_hours: float | None


class HotspotReportOut(BaseModel):
    by: str
    since: UtcDateTime
    until: UtcDateTime
    items: list[HotspotOut]


class AuditQuery(Schema):
    actor: str | None = Field(None, description="Who made the changes: a user id or username.")
    subject_type: str | None = Field(
        None,
        pattern=f"^{SUBJECT_TYPE.pattern}$",
        description="The kind of record: incident, ci, user, team, sla_policy…",
    )
    subject_id: int | None = Field(None, ge=1, le=MAX_ID, description="One record's id (give subject_type too).")
    door: Door | None = Field(None, description="Where the changes came in.")
    since: Moment | None = Field(None, description=f"Changes from then on. {MOMENT}")
    until: Moment | None = Field(None, description=f"Changes before then. {MOMENT}")
    format: Literal["json", "csv"] = Field(
        "json", description="csv (or the header Accept: text/csv): every matching row as a CSV file, unpaged."
    )
    limit: int = page_limit()
    offset: int = page_offset()


class AuditActorOut(BaseModel):
    id: int
    username: str
    name: str


class AuditRecordOut(BaseModel):
    id: int
    at: UtcDateTime
    actor: AuditActorOut | None = Field(description="null: Keel itself (a job, the demo loader, the command line).")
    door: Door
    subject_type: str
    subject_id: int
    field: str = Field(description="The field changed; created and deleted for a whole record.")
    old_value: str
    new_value: str


class AuditPageOut(BaseModel):
    items: list[AuditRecordOut]
    count: int
    count_is_capped: bool
    offset: int
    limit: int
