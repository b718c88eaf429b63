"""Log a new incident and edit an existing one: full-page forms that work without JavaScript."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from keel.accounts.models import User
from keel.cmdb.queries import ci_by_reference
from keel.incidents.actions.records import open_incident, update_incident
from keel.incidents.forms.incident import IncidentCreateForm, IncidentEditForm, IncidentFieldsForm
from keel.incidents.models import Incident
from keel.incidents.permissions import can_edit_incident, can_see_impact_proposal
from keel.incidents.queries.context import ci_context
from keel.incidents.queries.records import priority_for
from keel.incidents.states import FINAL, PRIORITY_NAMES, Level, Priority
from keel.incidents.views.common import (
    HtmxHttpRequest,
    forbidden,
    incident_for,
    show_error,
    signed_in_user,
)
from keel.lib.conditional import IfMatch
from keel.lib.errors import KeelError, StaleVersion


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HtmxHttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "GET":
        return _create_page(request, IncidentCreateForm(user=user))
    if "look_up_ci" in request.POST:
        # Without JavaScript the panel comes with a round trip: show it, keep what was typed, log nothing yet.
        return _create_page(request, IncidentCreateForm(initial=request.POST.dict(), user=user))
    form = IncidentCreateForm(request.POST, user=user)
    if not form.is_valid():
        return _create_page(request, form, status=400)
    try:
        incident = open_incident(actor=user, **form.action_kwargs())
    except KeelError as error:
        return _create_page(request, form, status=show_error(form, error))
    priority = Priority(incident.priority)
    messages.success(request, f"Logged {incident.number} as {priority.label} {PRIORITY_NAMES[priority]}.")
    return redirect("incidents:detail", number=incident.number)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HtmxHttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    incident = incident_for(request, number)
    if request.method == "GET":
        if not can_edit_incident(user, incident):
            return forbidden(request, _cannot_edit(incident))
        return _edit_page(
            request, incident, IncidentEditForm(initial=IncidentEditForm.initial_for(incident), user=user)
        )
    form = IncidentEditForm(request.POST, user=user)
    if not form.is_valid():
        return _edit_page(request, incident, form, status=400)
    try:
        version = IfMatch.version(form.cleaned_data["version"])
        update_incident(incident, actor=user, changes=form.changes(), if_match=version)
    except StaleVersion as error:
        return _stale(request, number, form, error)
    except KeelError as error:
        return _edit_page(request, incident_for(request, number), form, status=show_error(form, error))
    messages.success(request, f"Saved {incident.number}.")
    return redirect("incidents:detail", number=incident.number)


def _stale(request: HtmxHttpRequest, number: str, form: IncidentEditForm, error: StaleVersion) -> HttpResponse:
    """Keep everything typed, merge in what was saved meanwhile, and let a second Save apply it knowingly."""
    current = incident_for(request, number)
    again = form.rebased_on(current)
    again.is_valid()
    again.add_error(
        None,
        f"Someone else saved {current.number} while you were editing, so nothing of yours was saved yet. "
        "Your changes are still below; the fields they changed say so. Check them and press Save again.",
    )
    return _edit_page(request, current, again, status=error.status)


def _create_page(request: HtmxHttpRequest, form: IncidentCreateForm, *, status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    context = {
        "nav": "new",
        "form": form,
        "preview": _preview(form),
        "staff": user.is_staff_member,
        "panel": ci_panel(user, str(form["ci"].value() or "")),
    }
    return render(request, "incidents/create.html", context, status=status)


def ci_panel(user: User, reference: str) -> dict[str, Any]:
    """The CI context panel's content for what was typed in the CI field (staff only: it lists incidents)."""
    reference = reference.strip()
    if not reference or not can_see_impact_proposal(user):
        return {}
    try:
        ci = ci_by_reference(reference)
    except KeelError:
        return {"message": f"No CI named {reference!r} in the CMDB; check the name to see what depends on it."}
    return {"context": ci_context(ci, user=user)}


def _edit_page(
    request: HtmxHttpRequest, incident: Incident, form: IncidentEditForm, *, status: int = 200
) -> HttpResponse:
    context = {"nav": "queue", "incident": incident, "form": form, "preview": _preview(form)}
    return render(request, "incidents/edit.html", context, status=status)


def _preview(form: IncidentFieldsForm) -> dict[str, Any] | None:
    """The priority impact × urgency gives, from what the form holds now (none for a requester's
    report, which has no impact field)."""
    if "impact" not in form.fields:
        return None
    levels: dict[str, Level] = {}
    for name in ("impact", "urgency"):
        raw = form[name].value()
        if str(raw) not in {str(level.value) for level in Level}:
            return None
        levels[name] = Level(int(raw))
    return priority_context(priority_for(levels["impact"], levels["urgency"]))


def priority_context(priority: Priority) -> dict[str, Any]:
    return {"value": priority.value, "label": priority.label, "name": PRIORITY_NAMES[priority]}


def _cannot_edit(incident: Incident) -> str:
    if incident.state in FINAL:
        return f"{incident.number} is {incident.get_state_display().lower()}; it can no longer be edited."
    return f"You cannot edit {incident.number}; only its assignment group can."
