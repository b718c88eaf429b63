"""Console pages that join the CMDB with incidents: the CI record and the hotspot report (page and CSV)."""

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.audit.queries import history_of
from keel.cmdb.forms import RelationshipForm
from keel.cmdb.models import Service
from keel.cmdb.permissions import can_manage_cmdb
from keel.cmdb.queries import get_ci, relationships_of
from keel.incidents.queries.context import ci_context
from keel.lib.errors import KeelError, NotAllowed, NotFound
from keel.reporting.hotspots import Hotspot, HotspotBy, Period, hotspots, hours, parse_by, parse_period


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
@require_GET
def ci_record(request: HttpRequest, pk: int) -> HttpResponse:
    """A CI: its fields, relationships, the services that depend on it, its open and recent incidents."""
    user = _user(request)
    try:
        ci = get_ci(pk)
    except NotFound as error:
        raise Http404(error.message) from error
    outgoing, incoming = relationships_of(ci)
    context = {
        "nav": "cmdb",
        "ci": ci,
        "stands_for": Service.objects.filter(ci=ci).first(),
        "outgoing": outgoing,
        "incoming": incoming,
        "found": ci_context(ci, user=user),
        "can_manage": can_manage_cmdb(user),
        "relationship_form": RelationshipForm(),
        "history": history_of("ci", ci.pk),
    }
    return render(request, "reporting/ci.html", context)


@login_required
@require_GET
def hotspot_report(request: HttpRequest) -> HttpResponse:
    try:
        by, period = _asked(request)
    except NotAllowed as refused:
        return render(request, "403.html", {"message": refused.message}, status=refused.status)
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


@login_required
@require_GET
def hotspot_csv(request: HttpRequest) -> HttpResponseBase:
    try:
        by, period = _asked(request)
    except KeelError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain")
    return hotspot_csv_response(by, period)


def hotspot_csv_response(by: HotspotBy, period: Period) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(by, period), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="hotspots-by-{by.value}.csv"'
    return response


def _csv_lines(by: HotspotBy, period: Period) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield str(writer.writerow(["rank", by.value, "incidents", "open", "mttr_hours", "mtbf_hours"]))
    for rank, item in enumerate(hotspots(by=by, period=period), start=1):
        yield str(writer.writerow([rank, item.name, item.incidents, item.open, hours(item.mttr), hours(item.mtbf)]))


class _Echo:
    def write(self, text: str) -> str:
        return text


def _asked(request: HttpRequest) -> tuple[HotspotBy, Period]:
    """What a hotspot request asks for: NotAllowed for all but IT staff, InvalidInput for a bad
    grouping or period."""
    if not _user(request).can(Capability.VIEW_ALL_INCIDENTS):
        raise NotAllowed("The hotspot report is for IT staff.")
    return parse_by(request.GET.get("by")), parse_period(request.GET.get("since"), request.GET.get("until"))


def _row(item: Hotspot) -> dict[str, Any]:
    return {"item": item, "mttr_hours": hours(item.mttr), "mtbf_hours": hours(item.mtbf)}
