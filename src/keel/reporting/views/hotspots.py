"""The hotspot report: the page and its CSV (which the API serves too)."""

from typing import Any, Final

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from keel.accounts.models import User
from keel.incidents.views.common import guarded
from keel.lib.csv import csv_lines, csv_response
from keel.lib.errors import KeelError
from keel.reporting.hotspots import Hotspot, HotspotBy, Period, hotspots, hours, parse_by, parse_period
from keel.reporting.permissions import can_read_hotspots

HOTSPOTS_REFUSAL: Final = "The hotspot report is for IT staff."
for_staff = guarded(can_read_hotspots, HOTSPOTS_REFUSAL)


@for_staff
@require_GET
def hotspot_report(request: HttpRequest, user: User) -> HttpResponse:
    try:
        by, period = _asked(request)
    except KeelError as error:
        failed = {"nav": "hotspots", "error": error.message}
        return render(request, "reporting/hotspots.html", failed, status=error.status)
    context = {
        "nav": "hotspots",
        "by": by.value,
        "period": period,
        "since": request.GET.get("since", ""),
        "until": request.GET.get("until", ""),
        "rows": [_row(item) for item in hotspots(by=by, period=period)],
        "csv_query": request.GET.urlencode(),
    }
    return render(request, "reporting/hotspots.html", context)


@for_staff
@require_GET
def hotspot_csv(request: HttpRequest, user: User) -> HttpResponseBase:
    try:
        by, period = _asked(request)
    except KeelError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain")
    return hotspot_csv_response(by, period)


def hotspot_csv_response(by: HotspotBy, period: Period) -> StreamingHttpResponse:
    rows = (
        [rank, item.name, item.incidents, item.open, hours(item.mttr), hours(item.mtbf)]
        for rank, item in enumerate(hotspots(by=by, period=period), start=1)
    )
    header = ["rank", by.value, "incidents", "open", "mttr_hours", "mtbf_hours"]
    return csv_response(csv_lines(header, rows), filename=f"hotspots-by-{by.value}.csv")


def _asked(request: HttpRequest) -> tuple[HotspotBy, Period]:
    """What a hotspot request asks for; InvalidInput for a bad grouping or period."""
    # An empty date field of the form is one not filled in.
    since, until = request.GET.get("since") or None, request.GET.get("until") or None
    return parse_by(request.GET.get("by") or None), parse_period(since, until)


def _row(item: Hotspot) -> dict[str, Any]:
    return {"item": item, "mttr_hours": hours(item.mttr), "mtbf_hours": hours(item.mtbf)}
