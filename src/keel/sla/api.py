"""REST API v1 for SLA set-up and reports: parse, call one action or query, render."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from keel.accounts.models import User
from keel.cmdb.queries import service_by_reference
from keel.lib.errors import NotAllowed
from keel.sla.actions import (
    create_calendar,
    create_policy,
    delete_calendar,
    delete_policy,
    update_calendar,
    update_policy,
)
from keel.sla.models import Calendar, Policy
from keel.sla.permissions import can_read_sla_setup
from keel.sla.queries import calendar_by_reference, calendars, compliance, policies, policy_by_reference
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
_POLICY_NAMES = {"response_target_seconds": "response_target_s", "resolution_target_seconds": "resolution_target_s"}


@router.get("/sla/calendars", response=list[CalendarOut])
def list_calendars(request: HttpRequest) -> list[dict[str, Any]]:
    _reader(request)
    return [calendar_json(calendar) for calendar in calendars()]


@router.post("/sla/calendars", response={201: CalendarOut})
def add_calendar(request: HttpRequest, payload: CalendarIn) -> Status[dict[str, Any]]:
    calendar = create_calendar(actor=_user(request), fields=payload.model_dump())
    return Status(201, calendar_json(calendar))


@router.get("/sla/calendars/{reference}", response=CalendarOut)
def show_calendar(request: HttpRequest, reference: str) -> dict[str, Any]:
    _reader(request)
    return calendar_json(calendar_by_reference(reference))


@router.patch("/sla/calendars/{reference}", response=CalendarOut)
def change_calendar(request: HttpRequest, reference: str, payload: CalendarPatch) -> dict[str, Any]:
    calendar = calendar_by_reference(reference)
    changes = payload.model_dump(exclude_unset=True)
    return calendar_json(update_calendar(calendar, actor=_user(request), changes=changes))


@router.delete("/sla/calendars/{reference}", response={204: None})
def remove_calendar(request: HttpRequest, reference: str) -> Status[None]:
    delete_calendar(calendar_by_reference(reference), actor=_user(request))
    return Status(204, None)


@router.get("/sla/policies", response=list[PolicyOut])
def list_policies(request: HttpRequest) -> list[dict[str, Any]]:
    _reader(request)
    return [policy_json(policy) for policy in policies()]


@router.post("/sla/policies", response={201: PolicyOut})
def add_policy(request: HttpRequest, payload: PolicyIn) -> Status[dict[str, Any]]:
    policy = create_policy(actor=_user(request), fields=_policy_fields(payload.model_dump()))
    return Status(201, policy_json(policy))


@router.get("/sla/policies/{reference}", response=PolicyOut)
def show_policy(request: HttpRequest, reference: str) -> dict[str, Any]:
    _reader(request)
    return policy_json(policy_by_reference(reference))


@router.patch("/sla/policies/{reference}", response=PolicyOut)
def change_policy(request: HttpRequest, reference: str, payload: PolicyPatch) -> dict[str, Any]:
    policy = policy_by_reference(reference)
    changes = _policy_fields(payload.model_dump(exclude_unset=True))
    return policy_json(update_policy(policy, actor=_user(request), changes=changes))


@router.delete("/sla/policies/{reference}", response={204: None})
def remove_policy(request: HttpRequest, reference: str) -> Status[None]:
    delete_policy(policy_by_reference(reference), actor=_user(request))
    return Status(204, None)


class ComplianceQuery(Schema):
    name: str = "resolution"
    by: str | None = None
    period: str | None = None
    since: datetime | None = None
    until: datetime | None = None


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
    return {
        "id": calendar.pk,
        "name": calendar.name,
        "zone": calendar.zone,
        "windows": calendar.windows,
        "holiday_country": calendar.holiday_country,
        "holiday_subdivision": calendar.holiday_subdivision,
        "holidays": calendar.holidays,
        "closures": calendar.closures,
        "recurring_closures": calendar.recurring_closures,
        "version": calendar.version,
        "updated_at": calendar.updated_at,
    }


def policy_json(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.pk,
        "name": policy.name,
        "position": policy.position,
        "is_active": policy.is_active,
        "priority": policy.priority,
        "service": None if policy.service is None else {"id": policy.service.pk, "name": policy.service.name},
        "category_id": policy.category_id,
        "caller_vip": policy.caller_vip,
        "calendar": {"id": policy.calendar.pk, "name": policy.calendar.name},
        "response_target_seconds": policy.response_target_s,
        "resolution_target_seconds": policy.resolution_target_s,
        "thresholds": policy.thresholds,
        "pausing_reasons": policy.pausing_reasons,
        "on_reopen": policy.on_reopen,
    }


def _policy_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {_POLICY_NAMES.get(name, name): value for name, value in data.items()}
    if fields.get("calendar") is not None:
        fields["calendar"] = calendar_by_reference(fields["calendar"])
    if fields.get("service") is not None:
        fields["service"] = service_by_reference(fields["service"])
    return fields


def _user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user


def _reader(request: HttpRequest) -> User:
    user = _user(request)
    if not can_read_sla_setup(user):
        raise NotAllowed("Only IT staff can see SLA calendars, policies and reports.")
    return user
