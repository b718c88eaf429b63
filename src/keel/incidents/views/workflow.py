"""The steps taken on one incident: transition, assign, comment, attach. POST only; one action each.

Success: a redirect back to the record (or, for htmx, the refreshed record partial) with a message
saying what happened. Failure: the record again, the form bound with what was typed and the
action's message next to the field, with the error's HTTP status.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from keel.accounts.models import User
from keel.incidents.actions.assignment import assign_incident, escalate_incident
from keel.incidents.actions.conversation import add_comment, attach_file
from keel.incidents.actions.escalation import acknowledge_incident, escalate_to_manager
from keel.incidents.actions.lifecycle import transition_incident
from keel.incidents.actions.routing import reroute_incident
from keel.incidents.forms.steps import (
    AssignForm,
    AttachForm,
    CommentForm,
    EscalateForm,
    EscalateToManagerForm,
    TransitionForm,
)
from keel.incidents.models import Incident
from keel.incidents.permissions import can_see_work_notes
from keel.incidents.states import IncidentState
from keel.incidents.views.common import HtmxHttpRequest, incident_for, show_error, signed_in_user, wants_partial
from keel.incidents.views.detail import render_record
from keel.lib.errors import KeelError


@login_required
@require_POST
def transition(request: HtmxHttpRequest, number: str) -> HttpResponse:
    form = TransitionForm(request.POST, target=request.POST.get("to", ""))

    def act(incident: Incident, user: User, data: Mapping[str, Any]) -> str:
        target: IncidentState = data["to"]
        transition_incident(incident, target, actor=user, **form.action_kwargs())
        return f"{incident.number} is now {target.label.lower()}."

    return _take_step(request, number, "transition", form, act)


@login_required
@require_POST
def assign(request: HtmxHttpRequest, number: str) -> HttpResponse:
    def act(incident: Incident, user: User, data: Mapping[str, Any]) -> str:
        assign_incident(incident, actor=user, group=data["group"], assignee=data["assignee"], note=data["note"])
        holder = f"{data['group']} / {data['assignee']}" if data["assignee"] else str(data["group"])
        return f"{incident.number} is with {holder}."

    return _take_step(request, number, "assign", AssignForm(request.POST), act)


@login_required
@require_POST
def escalate(request: HtmxHttpRequest, number: str) -> HttpResponse:
    def act(incident: Incident, user: User, data: Mapping[str, Any]) -> str:
        escalate_incident(incident, actor=user, note=data["note"])
        return f"{incident.number} is with {incident.assignment_group}, the next tier."

    return _take_step(request, number, "escalate", EscalateForm(request.POST), act)


@login_required
@require_POST
def escalate_manager(request: HtmxHttpRequest, number: str) -> HttpResponse:
    def act(incident: Incident, user: User, data: Mapping[str, Any]) -> str:
        escalate_to_manager(incident, actor=user, note=data["note"])
        group = incident.assignment_group
        return f"{group.manager if group else 'The manager'} has been told and now watches {incident.number}."

    return _take_step(request, number, "escalate_manager", EscalateToManagerForm(request.POST), act)


@login_required
@require_POST
def acknowledge(request: HtmxHttpRequest, number: str) -> HttpResponse:
    def act(incident: Incident, user: User, data: Mapping[str, Any]) -> str:
        acknowledge_incident(incident, actor=user)
        return f"Acknowledged: the pages of {incident.number} stop escalating."

    return _take_step(request, number, "acknowledge", forms.Form(request.POST), act)


@login_required
@require_POST
def reroute(request: HtmxHttpRequest, number: str) -> HttpResponse:
    def act(incident: Incident, user: User, data: Mapping[str, Any]) -> str:
        before = incident.assignment_group_id
        reroute_incident(incident, actor=user)
        if incident.assignment_group_id == before:
            return f"The rules keep {incident.number} with {incident.assignment_group}."
        return f"{incident.number} is with {incident.assignment_group}, as the rules say now."

    return _take_step(request, number, "reroute", forms.Form(request.POST), act)


@login_required
@require_POST
def comment(request: HtmxHttpRequest, number: str) -> HttpResponse:
    form = CommentForm(request.POST, staff=can_see_work_notes(signed_in_user(request)))

    def act(incident: Incident, user: User, data: Mapping[str, Any]) -> str:
        add_comment(incident, actor=user, body=data["body"], public=form.is_public)
        return "Comment added." if form.is_public else "Work note added (IT staff only)."

    return _take_step(request, number, "comment", form, act)


@login_required
@require_POST
def attach(request: HtmxHttpRequest, number: str) -> HttpResponse:
    form = AttachForm(request.POST, request.FILES, staff=can_see_work_notes(signed_in_user(request)))

    def act(incident: Incident, user: User, data: Mapping[str, Any]) -> str:
        attachment = attach_file(incident, actor=user, upload=data["file"], public=form.is_public)
        return f"Attached {attachment.filename}."

    return _take_step(request, number, "attach", form, act)


Step = Callable[[Incident, User, Mapping[str, Any]], str]


def _take_step(request: HtmxHttpRequest, number: str, which: str, form: forms.Form, act: Step) -> HttpResponse:
    """Run one step on the incident this person may see (404 otherwise): the form's data through
    ``act`` (the action; it returns what to tell the person), or the record again with the form's
    or the action's error next to the field."""
    incident, user = incident_for(request, number), signed_in_user(request)
    if not form.is_valid():
        return _failed(request, number, which, form, status=400)
    try:
        message = act(incident, user, form.cleaned_data)
    except KeelError as error:
        return _failed(request, number, which, form, status=show_error(form, error))
    return _done(request, number, message)


def _done(request: HtmxHttpRequest, number: str, message: str) -> HttpResponse:
    messages.success(request, message)
    if wants_partial(request):
        return render_record(request, incident_for(request, number))
    return redirect("incidents:detail", number=number.upper())


def _failed(request: HtmxHttpRequest, number: str, which: str, form: forms.Form, *, status: int) -> HttpResponse:
    # Read the record again: the failed action may have locked and refreshed it mid-way.
    incident: Incident = incident_for(request, number)
    return render_record(request, incident, failed=(which, form), status=status)
