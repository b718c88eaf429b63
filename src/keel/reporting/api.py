"""REST API v1 for reports: incident hotspots per CI or service, and the audit trail; as JSON or CSV."""

from typing import Any, Final

from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from ninja import Query, Router

from keel.accounts.api import user_of
from keel.audit.models import AuditRecord
from keel.lib.errors import NotAllowed
from keel.reporting.audit import CSV_COLUMNS, audit_page_for, check_may_read_audit_trail, parse_audit_filters
from keel.reporting.hotspots import hotspots, hours, parse_by, parse_period
from keel.reporting.permissions import can_read_hotspots
from keel.reporting.schemas import AuditPageOut, AuditQuery, HotspotQuery, HotspotReportOut
from keel.reporting.views.audit import audit_csv_response
from keel.reporting.views.hotspots import HOTSPOTS_REFUSAL, hotspot_csv_response

router = Router(tags=["reports"])

_CSV_HEADER: Final = "A header line (" + ",".join(CSV_COLUMNS) + "), then one line per change."
# The audit list's 200 is JSON or, when asked, a CSV file: both are declared.
_JSON_OR_CSV: Final = {
    "responses": {200: {"content": {"text/csv": {"schema": {"type": "string", "description": _CSV_HEADER}}}}}
}


@router.get("/reports/hotspots", response=HotspotReportOut)
def hotspot_report(request: HttpRequest, query: Query[HotspotQuery]) -> dict[str, Any]:
    _check_staff(request)
    by, period = parse_by(query.by), parse_period(query.since, query.until)
    items = [
        {
            "rank": rank,
            "id": item.id,
            "name": item.name,
            "incidents": item.incidents,
            "open": item.open,
            "mttr_hours": hours(item.mttr),
            "mtbf_hours": hours(item.mtbf),
        }
        for rank, item in enumerate(hotspots(by=by, period=period), start=1)
    ]
    return {"by": by.value, "since": period.since, "until": period.until, "items": items}


@router.get("/reports/hotspots.csv")
def hotspot_csv(request: HttpRequest, query: Query[HotspotQuery]) -> StreamingHttpResponse:
    _check_staff(request)
    return hotspot_csv_response(parse_by(query.by), parse_period(query.since, query.until))


@router.get("/audit", response=AuditPageOut, openapi_extra=_JSON_OR_CSV)
def audit_trail(request: HttpRequest, query: Query[AuditQuery]) -> dict[str, Any] | HttpResponseBase:
    """Every change of every record, newest first: who, when, through which door, old → new.
    Administrators only. Paged as the other lists; as CSV (``format=csv`` or ``Accept: text/csv``)
    every matching row, unpaged."""
    user = user_of(request)
    check_may_read_audit_trail(user)
    filters = parse_audit_filters(
        actor=query.actor,
        subject_type=query.subject_type,
        subject_id=query.subject_id,
        door=query.door,
        since=query.since,
        until=query.until,
    )
    if query.format == "csv" or request.get_preferred_type(["application/json", "text/csv"]) == "text/csv":
        return audit_csv_response(user, filters)
    return audit_page_for(user, filters, offset=query.offset, limit=query.limit).answer(audit_record_json)


def audit_record_json(record: AuditRecord) -> dict[str, Any]:
    actor = record.actor
    return {
        "id": record.pk,
        "at": record.at,
        "actor": None if actor is None else {"id": actor.pk, "username": actor.username, "name": str(actor)},
        "door": record.channel,
        "subject_type": record.subject_type,
        "subject_id": record.subject_id,
        "field": record.field,
        "old_value": record.old_value,
        "new_value": record.new_value,
    }


def _check_staff(request: HttpRequest) -> None:
    if not can_read_hotspots(user_of(request)):
        raise NotAllowed(HOTSPOTS_REFUSAL)
