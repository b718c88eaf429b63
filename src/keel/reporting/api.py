"""REST API v1 for reports: incident hotspots per CI or service, as JSON or CSV."""

from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Schema
from pydantic import BaseModel

from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.lib.api import UtcDateTime
from keel.lib.errors import NotAllowed
from keel.reporting.hotspots import hotspots, hours, parse_by, parse_period
from keel.reporting.views import hotspot_csv_response

router = Router(tags=["reports"])


class HotspotQuery(Schema):
    by: str = "ci"
    since: str | None = None
    until: str | None = None


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


def _check_staff(request: HttpRequest) -> None:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    if not user.can(Capability.VIEW_ALL_INCIDENTS):
        raise NotAllowed("The hotspot report is for IT staff.")
