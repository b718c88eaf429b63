"""Alerts in the console: the list (filters, pages), one alert with its history, acknowledging."""

from typing import Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from keel.incidents.models import number_for
from keel.incidents.views.common import HtmxHttpRequest, render_page_or_partial, signed_in_user
from keel.integrations.actions import acknowledge_alert
from keel.integrations.filters import parse_alert_filters
from keel.integrations.forms import AlertFilterForm
from keel.integrations.models import Alert
from keel.integrations.permissions import can_acknowledge_alert, can_see_alerts
from keel.integrations.queries import alert_for, alert_history, alert_page
from keel.integrations.states import ACTIVE, AlertStatus
from keel.integrations.views.common import form_field, not_staff, window
from keel.lib.errors import KeelError, NotFound

PAGE: Final = 50


@login_required
@require_GET
def alert_list(request: HtmxHttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not can_see_alerts(user):
        return not_staff(request)
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


@login_required
@require_GET
def alert_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    if not can_see_alerts(user):
        return not_staff(request)
    alert = _alert(request, pk)
    context = {
        "nav": "alerts",
        "alert": alert,
        "history": alert_history(alert),
        "incident_number": number_for(alert.incident_id) if alert.incident_id else None,
        "can_acknowledge": alert.status == AlertStatus.FIRING and can_acknowledge_alert(user),
        "is_active": alert.status in ACTIVE,
    }
    return render(request, "integrations/alert.html", context)


@login_required
@require_POST
def acknowledge(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    if not can_acknowledge_alert(user):
        return not_staff(request)
    alert = _alert(request, pk)
    try:
        acknowledge_alert(alert, actor=user)
    except KeelError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Acknowledged: the alert shows that someone is on it.")
    return redirect("alerts:detail", pk=alert.pk)


def _alert(request: HtmxHttpRequest, pk: int) -> Alert:
    try:
        return alert_for(signed_in_user(request), pk)
    except NotFound as error:
        raise Http404(error.message) from error
