"""Alerts in the console: the list (filters, pages), one alert with its history, acknowledging."""

from typing import Final

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from keel.accounts.models import User
from keel.incidents.models import number_for
from keel.incidents.views.common import HtmxHttpRequest, guarded, render_page_or_partial
from keel.integrations.actions.alerts import acknowledge_alert
from keel.integrations.forms import AlertFilterForm
from keel.integrations.permissions import can_acknowledge_alert
from keel.integrations.queries.alerts import alert_for, alert_history, alert_page
from keel.integrations.queries.filters import parse_alert_filters
from keel.integrations.states import ACTIVE, AlertStatus
from keel.integrations.views.common import STAFF_ONLY, for_staff, form_field, found
from keel.lib.errors import KeelError
from keel.lib.paging import window

PAGE: Final = 50


@for_staff
@require_GET
def alert_list(request: HtmxHttpRequest, user: User) -> HttpResponse:
    form = AlertFilterForm(request.GET)
    page = None
    if form.is_valid():
        try:
            filters = parse_alert_filters(form.words())
        except KeelError as error:
            form.add_error(form_field(form, error.field), error.message)
        else:
            page = alert_page(user, filters, offset=form.page_offset, limit=PAGE)
    return render_page_or_partial(
        request,
        page="integrations/alerts.html",
        partial="integrations/partials/alert_results.html",
        context={"nav": "alerts", "tab": "alerts", "form": form, "page": page, "window": window(page)},
        status=200 if page is not None else 400,
    )


@for_staff
@require_GET
def alert_detail(request: HtmxHttpRequest, user: User, pk: int) -> HttpResponse:
    alert = found(lambda: alert_for(user, pk))
    context = {
        "nav": "alerts",
        "alert": alert,
        "history": alert_history(alert),
        "incident_number": number_for(alert.incident_id) if alert.incident_id else None,
        "can_acknowledge": alert.status == AlertStatus.FIRING and can_acknowledge_alert(user),
        "is_active": alert.status in ACTIVE,
    }
    return render(request, "integrations/alert.html", context)


@guarded(can_acknowledge_alert, STAFF_ONLY)
@require_POST
def acknowledge(request: HtmxHttpRequest, user: User, pk: int) -> HttpResponse:
    alert = found(lambda: alert_for(user, pk))
    try:
        acknowledge_alert(alert, actor=user)
    except KeelError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Acknowledged: the alert shows that someone is on it.")
    return redirect("alerts:detail", pk=alert.pk)
