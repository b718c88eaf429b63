"""Maintenance windows and change events in the console: IT staff read them; those who manage
integrations plan a window and end one early."""

from typing import Final

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keel.accounts.models import User
from keel.integrations.actions.windows import create_maintenance_window, end_maintenance_window
from keel.integrations.forms import MaintenanceWindowForm
from keel.integrations.permissions import can_manage_integrations
from keel.integrations.queries.setup import change_events, get_window, maintenance_windows
from keel.integrations.views.common import for_managers, for_staff, form_field, found
from keel.lib.errors import KeelError

CHANGES_PAGE: Final = 50


@for_staff
@require_GET
def window_list(request: HttpRequest, user: User) -> HttpResponse:
    context = {
        "nav": "alerts",
        "tab": "maintenance",
        "windows": maintenance_windows(),
        "can_manage": can_manage_integrations(user),
    }
    return render(request, "integrations/maintenance.html", context)


@for_managers
@require_http_methods(["GET", "POST"])
def window_new(request: HttpRequest, user: User) -> HttpResponse:
    form = MaintenanceWindowForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            window = create_maintenance_window(actor=user, **form.arguments())
        except KeelError as error:
            form.add_error(form_field(form, error.field), error.message)
        else:
            messages.success(request, f"Planned “{window.name}”: alerts it covers open no incident while it runs.")
            return redirect("integrations:maintenance")
    context = {"nav": "alerts", "tab": "maintenance", "form": form}
    return render(request, "integrations/maintenance_new.html", context, status=400 if form.is_bound else 200)


@for_managers
@require_POST
def window_end(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    window = found(lambda: get_window(pk))
    name = window.name
    ended = end_maintenance_window(window, actor=user)
    if ended.pk is None:
        messages.success(request, f"Removed “{name}”: it had not started, so nothing happened under it.")
    else:
        messages.success(request, f"Ended “{name}”: alerts it covered open incidents again.")
    return redirect("integrations:maintenance")


@for_staff
@require_GET
def change_list(request: HttpRequest, user: User) -> HttpResponse:
    raw = request.GET.get("offset", "0")
    offset = int(raw) if raw.isascii() and raw.isdigit() else 0
    rows = change_events(offset=offset, limit=CHANGES_PAGE + 1)
    context = {
        "nav": "alerts",
        "tab": "changes",
        "changes": rows[:CHANGES_PAGE],
        "next_offset": offset + CHANGES_PAGE if len(rows) > CHANGES_PAGE else None,
        "previous_offset": max(offset - CHANGES_PAGE, 0) if offset else None,
    }
    return render(request, "integrations/changes.html", context)
