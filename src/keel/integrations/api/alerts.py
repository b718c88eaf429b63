"""Alerts over the API: the list with its filters and capped count, one alert with its history,
acknowledging."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from keel.integrations.actions import alerts as actions
from keel.integrations.api.common import reader
from keel.integrations.api.documents import alert_json, event_json
from keel.integrations.queries.alerts import alert_for, alert_history, alert_page
from keel.integrations.queries.filters import FilterWords, parse_alert_filters
from keel.integrations.schemas import AlertDetailOut, AlertListOut
from keel.lib.api import IfMatchHeader, page_limit, page_offset, tagged

router = Router(tags=["monitoring"])


class AlertQuery(FilterWords):
    """The alert list's filters (the console's form writes the same words) and its page."""

    limit: int = page_limit()
    offset: int = page_offset()


@router.get("/alerts", response=AlertListOut)
def list_alerts(request: HttpRequest, query: Query[AlertQuery]) -> dict[str, Any]:
    user = reader(request)
    return alert_page(user, parse_alert_filters(query), offset=query.offset, limit=query.limit).answer(alert_json)


@router.get("/alerts/{alert_id}", response=AlertDetailOut)
def read_alert(request: HttpRequest, alert_id: str, response: HttpResponse) -> dict[str, Any]:
    alert = alert_for(reader(request), alert_id)
    body = {**alert_json(alert), "history": [event_json(event) for event in alert_history(alert)]}
    return tagged(response, alert.entity_tag, body)


@router.post("/alerts/{alert_id}/acknowledge", response=AlertDetailOut)
def acknowledge_alert(
    request: HttpRequest, alert_id: str, response: HttpResponse, if_match: IfMatchHeader = None
) -> dict[str, Any]:
    user = reader(request)
    alert = actions.acknowledge_alert(alert_for(user, alert_id), actor=user, if_match=if_match)
    return read_alert(request, str(alert.pk), response)
