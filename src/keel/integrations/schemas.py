"""API shapes for monitoring: what clients send and what they get back."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from keel.integrations.states import AlertEventKind, AlertStatus, PayloadStatus, SourceKind
from keel.lib.api import MAX_INT, Body, Flag, Reference, UtcDateTime, omittable, refused
from keel.lib.text import DESCRIPTION_MAX


class Named(BaseModel):
    id: int
    name: str


class TeamRef(BaseModel):
    id: int
    slug: str
    name: str


class UserRef(BaseModel):
    id: int
    username: str
    name: str


# --- sources ---------------------------------------------------------------------------------


class SourceIn(Body):
    name: str = Field(min_length=1, max_length=100)
    kind: SourceKind
    description: str = Field("", max_length=DESCRIPTION_MAX)
    mapping: dict[str, Any] | None = Field(None, description="Generic webhooks: the field mapping.")
    preset: Literal["grafana", "zabbix"] | None = Field(None, description="Generic webhooks: start from this mapping.")
    identity_labels: list[str] = Field([], description="Labels that identify an alert; empty: the sender's own key.")
    expire_after_s: int = Field(0, ge=0, le=30 * 86400, description="Expire alerts not re-sent this long.")
    assignment_group: Reference | None = Field(None, description="Team id or slug for the incidents it opens.")


class SourcePatch(Body):
    """Only the fields sent change; null empties the assignment group (nothing else)."""

    name: str = omittable(min_length=1, max_length=100)
    description: str = omittable(max_length=DESCRIPTION_MAX)
    mapping: dict[str, Any] = omittable()
    identity_labels: list[str] = omittable()
    expire_after_s: int = omittable(ge=0, le=30 * 86400)
    assignment_group: Reference | None = Field(None, description="Team id or slug; null: none.")
    kind: SourceKind | None = refused("What a source sends as is what it is: create another source.")


class SourceOut(BaseModel):
    id: int
    name: str
    kind: SourceKind
    description: str
    mapping: dict[str, Any]
    identity_labels: list[str]
    expire_after_s: int
    assignment_group: TeamRef | None
    token_prefix: str
    created_at: UtcDateTime
    created_by: UserRef | None
    revoked_at: UtcDateTime | None
    is_active: bool


class IssuedSourceOut(SourceOut):
    """A source with its secret, shown this once."""

    inbound_url: str = Field(description="Where it sends; for PagerDuty-style sources the base URL.")
    secret: str
    routing_key: str | None = Field(description="PagerDuty-style sources: the secret, as their clients name it.")


class TestEventOut(BaseModel):
    payload: int
    alerts: int
    message: str


# --- alerts ----------------------------------------------------------------------------------


class SourceRef(BaseModel):
    id: int
    name: str
    kind: SourceKind


class AlertOut(BaseModel):
    id: int
    source: SourceRef
    identity: str
    status: AlertStatus
    severity: str
    summary: str
    labels: dict[str, str]
    annotations: dict[str, str]
    links: list[dict[str, str]]
    details: dict[str, Any]
    occurrences: int
    first_seen_at: UtcDateTime
    last_seen_at: UtcDateTime
    started_at: UtcDateTime | None
    ends_at: UtcDateTime | None
    status_changed_at: UtcDateTime
    is_flapping: bool
    suppressed_by: int | None = Field(description="The maintenance window that keeps it from opening an incident.")
    ci: Named | None
    service: Named | None
    incident: str | None = Field(description="The incident's number, e.g. INC0000042.")


class AlertEventOut(BaseModel):
    at: UtcDateTime
    kind: AlertEventKind
    note: str
    incident: str | None
    payload: int | None


class AlertDetailOut(AlertOut):
    history: list[AlertEventOut]


class AlertListOut(BaseModel):
    items: list[AlertOut]
    count: int
    count_is_capped: bool
    offset: int
    limit: int


# --- maintenance windows ---------------------------------------------------------------------


class Matcher(Body):
    label: str
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: str = ""


class WindowIn(Body):
    name: str = Field(min_length=1, max_length=200)
    starts_at: datetime = Field(description="ISO 8601 with a zone, e.g. 2026-11-27T22:00:00Z.")
    ends_at: datetime
    matchers: list[Matcher] = []
    ci: Reference | None = Field(None, description="CI id or exact name.")
    service: Reference | None = Field(None, description="Business service id or exact name.")
    reason: str = Field("", max_length=DESCRIPTION_MAX)


class WindowPatch(Body):
    """Only the fields sent change; null empties the CI or the service (nothing else)."""

    name: str = omittable(min_length=1, max_length=200)
    starts_at: datetime = omittable()
    ends_at: datetime = omittable()
    matchers: list[Matcher] = omittable()
    ci: Reference | None = None
    service: Reference | None = None
    reason: str = omittable(max_length=DESCRIPTION_MAX)


class WindowOut(BaseModel):
    id: int
    name: str
    state: Literal["running", "planned", "ended"]
    starts_at: UtcDateTime
    ends_at: UtcDateTime
    matchers: list[dict[str, str]]
    ci: Named | None
    service: Named | None
    reason: str
    created_by: UserRef | None
    created_at: UtcDateTime


# --- correlation rules -----------------------------------------------------------------------


class RuleIn(Body):
    name: str = Field(min_length=1, max_length=100)
    position: int = Field(100, ge=0, le=MAX_INT)
    is_active: Flag = True
    source: Reference | None = Field(None, description="Only this source's alerts (id or name); null: any.")
    severities: list[str] = Field([], description="critical, error, warning, info; empty: any.")
    matchers: list[Matcher] = []
    opens_incident: Flag = True
    min_occurrences: int = Field(1, ge=1, le=MAX_INT)
    min_firing_s: int = Field(0, ge=0, le=MAX_INT)
    group_by: str = Field("service", description="service, ci or labels.")
    group_labels: list[str] = []
    window_s: int = Field(3600, ge=0, le=MAX_INT)
    on_all_resolved: str = Field("resolve", description="resolve or ask.")
    on_refire: str = Field("reopen", description="reopen or new.")
    assignment_group: Reference | None = Field(None, description="Team id or slug.")


class RulePatch(Body):
    """Only the fields sent change; null empties the source or the assignment group (nothing else)."""

    name: str = omittable(min_length=1, max_length=100)
    position: int = omittable(ge=0, le=MAX_INT)
    is_active: Flag = omittable()
    source: Reference | None = None
    severities: list[str] = omittable()
    matchers: list[Matcher] = omittable()
    opens_incident: Flag = omittable()
    min_occurrences: int = omittable(ge=1, le=MAX_INT)
    min_firing_s: int = omittable(ge=0, le=MAX_INT)
    group_by: str = omittable()
    group_labels: list[str] = omittable()
    window_s: int = omittable(ge=0, le=MAX_INT)
    on_all_resolved: str = omittable()
    on_refire: str = omittable()
    assignment_group: Reference | None = None


class RuleOut(BaseModel):
    id: int
    name: str
    position: int
    is_active: bool
    source: Named | None
    severities: list[str]
    matchers: list[dict[str, str]]
    opens_incident: bool
    min_occurrences: int
    min_firing_s: int
    group_by: str
    group_labels: list[str]
    window_s: int
    on_all_resolved: str
    on_refire: str
    assignment_group: TeamRef | None


# --- change events ---------------------------------------------------------------------------


class ChangeOut(BaseModel):
    id: int
    source: Named
    summary: str
    reported_by: str
    at: UtcDateTime
    links: list[dict[str, str]]
    details: dict[str, Any]
    ci: Named | None


class ChangeListOut(BaseModel):
    items: list[ChangeOut]
    offset: int
    limit: int
    has_more: bool


class PayloadOut(BaseModel):
    id: int
    received_at: UtcDateTime
    status: PayloadStatus
    error: str
    signals: int
