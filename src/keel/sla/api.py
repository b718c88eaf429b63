"""REST API v1 for SLA set-up and reports: parse, call one action or query, render."""

from collections.abc import Mapping
from typing import Any, Final

from django.http import HttpRequest
from ninja import Query, Router, Schema

from keel.accounts.api import user_of
from keel.accounts.models import User
from keel.cmdb.models import Service
from keel.cmdb.queries import service_by_reference
from keel.idempotency.api import idempotent
from keel.lib.api import IsoTime, one_of
from keel.lib.errors import NotAllowed, NotFound
from keel.lib.resources import Access, Resources
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


def _policy_fields(data: Mapping[str, Any]) -> dict[str, Any]:
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


def _calendar_at(reference: str) -> Calendar:
    """The calendar a URL path names (404 when there is none)."""
    return calendar_by_reference(reference, missing=NotFound)


resource = Resources(router, __name__, Access(read=_reader, write=user_of, once=idempotent))

CALENDARS = resource(
    "/sla/calendars",
    one="calendar",
    many="calendars",
    find=_calendar_at,
    document=calendar_json,
    out=CalendarOut,
)
CALENDARS.listing(calendars)
CALENDARS.creating(CalendarIn, create_calendar)
CALENDARS.reading()
CALENDARS.changing(CalendarPatch, update_calendar)
CALENDARS.deleting(delete_calendar)

POLICIES = resource(
    "/sla/policies",
    one="policy",
    many="policies",
    find=policy_by_reference,
    document=policy_json,
    out=PolicyOut,
    fields=_policy_fields,
)
POLICIES.listing(policies)
POLICIES.creating(PolicyIn, create_policy)
POLICIES.reading()
POLICIES.changing(PolicyPatch, update_policy)
POLICIES.deleting(delete_policy)


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
