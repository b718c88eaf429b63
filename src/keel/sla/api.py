"""REST API v1 for SLA set-up and reports: parse, call one action or query, render."""

from typing import Any, Final

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel

from keel.accounts.api import user_of
from keel.accounts.models import User
from keel.cmdb.models import Service
from keel.cmdb.queries import service_by_reference
from keel.idempotency.api import idempotent
from keel.lib.api import IfMatchHeader, IsoTime, created, one_of, tagged
from keel.lib.errors import NotAllowed, NotFound
from keel.sla.actions.setup import (
    create_calendar,
    create_policy,
    delete_calendar,
    delete_policy,
    update_calendar,
    update_policy,
)
from keel.sla.models import Calendar, ClockName, Policy
from keel.sla.permissions import can_read_sla_setup
from keel.sla.queries import (
    DIMENSIONS,
    PERIODS,
    calendar_by_reference,
    calendars,
    compliance,
    policies,
    policy_by_reference,
)
from keel.sla.schemas import (
    CalendarIn,
    CalendarOut,
    CalendarPatch,
    ComplianceOut,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
)

router = Router(tags=["sla"])

# API names → model fields: targets are sent in seconds of business time.
_POLICY_NAMES: Final = {
    "response_target_seconds": "response_target_s",
    "resolution_target_seconds": "resolution_target_s",
}
# What a PATCH may set to null: the policy fields that may be empty (a criterion matching anything, a target).


@router.get("/sla/calendars", response=list[CalendarOut])
def list_calendars(request: HttpRequest) -> list[dict[str, Any]]:
    _reader(request)
    return [calendar_json(calendar) for calendar in calendars()]


@router.post("/sla/calendars", response={201: CalendarOut})
@idempotent
def add_calendar(request: HttpRequest, payload: CalendarIn, response: HttpResponse) -> Status[dict[str, Any]]:
    calendar = create_calendar(actor=user_of(request), fields=payload.model_dump())
    location = f"/api/v1/sla/calendars/{calendar.pk}"
    return created(response, location, calendar_json(calendar), tag=calendar.entity_tag)


@router.get("/sla/calendars/{reference}", response=CalendarOut)
def show_calendar(request: HttpRequest, reference: str, response: HttpResponse) -> dict[str, Any]:
    _reader(request)
    calendar = _calendar_at(reference)
    return tagged(response, calendar.entity_tag, calendar_json(calendar))


@router.patch("/sla/calendars/{reference}", response=CalendarOut)
def change_calendar(
    request: HttpRequest,
    reference: str,
    payload: CalendarPatch,
    response: HttpResponse,
    if_match: IfMatchHeader = None,
) -> dict[str, Any]:
    calendar, changes = _calendar_at(reference), _changes(payload)
    calendar = update_calendar(calendar, actor=user_of(request), changes=changes, if_match=if_match)
    return tagged(response, calendar.entity_tag, calendar_json(calendar))


@router.delete("/sla/calendars/{reference}", response={204: None})
def remove_calendar(request: HttpRequest, reference: str, if_match: IfMatchHeader = None) -> Status[None]:
    delete_calendar(_calendar_at(reference), actor=user_of(request), if_match=if_match)
    return Status(204, None)


def _calendar_at(reference: str) -> Calendar:
    """The calendar a URL path names (404 when there is none)."""
    return calendar_by_reference(reference, missing=NotFound)


@router.get("/sla/policies", response=list[PolicyOut])
def list_policies(request: HttpRequest) -> list[dict[str, Any]]:
    _reader(request)
    return [policy_json(policy) for policy in policies()]


@router.post("/sla/policies", response={201: PolicyOut})
@idempotent
def add_policy(request: HttpRequest, payload: PolicyIn, response: HttpResponse) -> Status[dict[str, Any]]:
    policy = create_policy(actor=user_of(request), fields=_policy_fields(payload.model_dump()))
    return created(response, f"/api/v1/sla/policies/{policy.pk}", policy_json(policy), tag=policy.entity_tag)


@router.get("/sla/policies/{reference}", response=PolicyOut)
def show_policy(request: HttpRequest, reference: str, response: HttpResponse) -> dict[str, Any]:
    _reader(request)
    policy = policy_by_reference(reference)
    return tagged(response, policy.entity_tag, policy_json(policy))


@router.patch("/sla/policies/{reference}", response=PolicyOut)
def change_policy(
    request: HttpRequest, reference: str, payload: PolicyPatch, response: HttpResponse, if_match: IfMatchHeader = None
) -> dict[str, Any]:
    policy, changes = policy_by_reference(reference), _policy_fields(_changes(payload))
    policy = update_policy(policy, actor=user_of(request), changes=changes, if_match=if_match)
    return tagged(response, policy.entity_tag, policy_json(policy))


@router.delete("/sla/policies/{reference}", response={204: None})
def remove_policy(request: HttpRequest, reference: str, if_match: IfMatchHeader = None) -> Status[None]:
    delete_policy(policy_by_reference(reference), actor=user_of(request), if_match=if_match)
    return Status(204, None)


class ComplianceQuery(Schema):
    name: str = one_of(ClockName.values, "resolution")
    by: str | None = one_of(DIMENSIONS)
    period: str | None = one_of(PERIODS)
    since: IsoTime | None = None
    until: IsoTime | None = None


@router.get("/sla/compliance", response=ComplianceOut)
def sla_compliance(request: HttpRequest, query: Query[ComplianceQuery]) -> dict[str, Any]:
    """% resolved (name=resolution) or responded (name=response) within SLA, by priority, service or
    group (`by`) and day, week or month (`period`); cancelled clocks are left out."""
    _reader(request)
    rows = compliance(name=query.name, by=query.by, period=query.period, since=query.since, until=query.until)
    return {
        "name": query.name,
        "by": query.by,
        "period": query.period,
        "rows": [
            {
                "key": row.key,
                "period": row.period,
                "met": row.met,
                "breached": row.breached,
                "percent_within_sla": row.percent,
            }
            for row in rows
        ],
    }


# --- rendering and parsing -----------------------------------------------------------------


def calendar_json(calendar: Calendar) -> dict[str, Any]:
    """The calendar as ``CalendarOut`` shows it: the fields the schema names."""
    return {name: getattr(calendar, name) for name in CalendarOut.model_fields}


def policy_json(policy: Policy) -> dict[str, Any]:
    """The policy as ``PolicyOut`` shows it: the fields the schema names (targets in seconds), the
    service and calendar by id and name."""
    shown = {name: getattr(policy, _POLICY_NAMES.get(name, name)) for name in PolicyOut.model_fields}
    return {**shown, "service": _named(policy.service), "calendar": _named(policy.calendar)}


def _named(record: Calendar | Service | None) -> dict[str, Any] | None:
    return None if record is None else {"id": record.pk, "name": record.name}


def _changes(payload: BaseModel) -> dict[str, Any]:
    """The fields a PATCH sends (the schema refuses null where a field cannot be empty)."""
    return payload.model_dump(exclude_unset=True)


def _policy_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {_POLICY_NAMES.get(name, name): value for name, value in data.items()}
    if fields.get("calendar") is not None:
        fields["calendar"] = calendar_by_reference(fields["calendar"])
    if fields.get("service") is not None:
        fields["service"] = service_by_reference(fields["service"])
    return fields


def _reader(request: HttpRequest) -> User:
    user = user_of(request)
    if not can_read_sla_setup(user):
        raise NotAllowed("Only IT staff can see SLA calendars, policies and reports.")
    return user
