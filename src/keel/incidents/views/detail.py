"""One incident: header, fields, timeline, and only the steps this person may take now."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.views.decorators.http import require_GET

from keel.accounts.models import User
from keel.activity.queries import attachments_of, timeline_of
from keel.incidents.actions._record import SUBJECT
from keel.incidents.forms.steps import (
    AssignForm,
    AttachForm,
    CommentForm,
    EscalateForm,
    EscalateToManagerForm,
    TransitionForm,
)
from keel.incidents.models import Incident
from keel.incidents.permissions import (
    can_assign_incident,
    can_comment_on_incident,
    can_edit_incident,
    can_see_work_notes,
)
from keel.incidents.queries.records import allowed_transitions, attachment_for
from keel.incidents.states import (
    OPEN,
    PRIORITY_NAMES,
    IncidentState,
    Priority,
    required_for,
    verb_for,
)
from keel.incidents.views.common import HtmxHttpRequest, incident_for, render_page_or_partial, signed_in_user
from keel.lib import clock
from keel.lib.errors import NotFound
from keel.lib.panels import panels_for
from keel.notifications.queries import open_pages
from keel.oncall.queries import on_call_tiers
from keel.sla.queries import incident_sla_panel

# Steps that end the record's life ask to be confirmed in a panel even when they need no field.
CONFIRM_FIRST = frozenset({IncidentState.CANCELLED})
# Beside "Reassign…", the lifecycle's "Assign" verb for in progress → assigned would read as the same thing.
STEP_LABELS = {IncidentState.ASSIGNED: "Back to the group's queue"}


@login_required
@require_GET
def incident_detail(request: HtmxHttpRequest, number: str) -> HttpResponse:
    return render_record(request, incident_for(request, number))


@login_required
@require_GET
def attachment_download(request: HtmxHttpRequest, number: str, attachment_id: int) -> FileResponse:
    try:
        attachment = attachment_for(signed_in_user(request), incident_for(request, number), str(attachment_id))
    except NotFound as error:
        raise Http404(error.message) from error
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)


def render_record(
    request: HtmxHttpRequest,
    incident: Incident,
    *,
    failed: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The record page (or, for htmx, the record partial), with ``failed`` = (which form, bound with errors)."""
    return render_page_or_partial(
        request,
        page="incidents/detail.html",
        partial="incidents/partials/record.html",
        context=record_context(signed_in_user(request), incident, failed=failed),
        status=status,
    )


def record_context(user: User, incident: Incident, *, failed: tuple[str, forms.Form] | None = None) -> dict[str, Any]:
    staff = can_see_work_notes(user)
    bound: Mapping[str, forms.Form] = dict([failed]) if failed is not None else {}
    attachments = list(attachments_of(SUBJECT, incident.pk, include_private=staff))
    steps = _steps(user, incident, bound)
    can_assign = can_assign_incident(user, incident)
    can_comment = can_comment_on_incident(user, incident, public=True)
    group = incident.assignment_group if can_assign else None
    next_tier = group.escalates_to if group else None
    manager = group.manager if group and group.manager and group.manager.is_active else None
    pages_waiting = len(open_pages(SUBJECT, incident.pk)) if can_assign and incident.state in OPEN else 0
    shown = {
        "transition": any(step["open"] for step in steps),
        "assign": can_assign,
        "escalate": next_tier is not None,
        "escalate_manager": manager is not None,
        "acknowledge": bool(pages_waiting),
        "reroute": False,  # a button with no form of its own: its refusal goes on top
        "comment": can_comment,
        "attach": can_comment,
    }
    return {
        "nav": "queue",
        "incident": incident,
        "priority_name": PRIORITY_NAMES[Priority(incident.priority)],
        "steps": steps,
        "can_edit": can_edit_incident(user, incident),
        "can_assign": can_assign,
        "can_comment": can_comment,
        # An error from a form this person is not shown (the step is no longer possible) goes on top.
        "problems": [] if failed is None or shown[failed[0]] else _messages(failed[1]),
        "staff": staff,
        "assign_form": bound.get("assign") or AssignForm(initial=_assign_initial(incident)),
        "assign_open": "assign" in bound,
        "next_tier": next_tier,
        "escalate_form": bound.get("escalate") or EscalateForm(),
        "escalate_open": "escalate" in bound,
        "manager": manager,
        "manager_form": bound.get("escalate_manager") or EscalateToManagerForm(),
        "manager_open": "escalate_manager" in bound,
        "pages_waiting": pages_waiting,
        "comment_form": bound.get("comment") or CommentForm(staff=staff),
        "attach_form": bound.get("attach") or AttachForm(staff=staff),
        "timeline": list(timeline_of(SUBJECT, incident.pk, include_private=staff)),
        "sla": incident_sla_panel(incident.pk),
        "on_call": _on_call(incident) if staff else [],
        # What apps above incidents add to the record (its alerts, …), listed in config/panels.py.
        "panels": panels_for("KEEL_INCIDENT_PANELS", user, incident),
        "attachments": attachments,
        "attachment_names": {attachment.pk: attachment.filename for attachment in attachments},
    }


def _steps(user: User, incident: Incident, bound: Mapping[str, forms.Form]) -> list[dict[str, Any]]:
    """The allowed transitions as buttons; those that need fields come with them, in a panel.

    A new incident is assigned through the assignment panel (it can name a person too), so that
    step is left out here; later, "assigned" means handing the work back to the group's queue.
    """
    source = IncidentState(incident.state)
    steps = []
    for target in allowed_transitions(user, incident):
        if target == IncidentState.ASSIGNED and source == IncidentState.NEW:
            continue
        asks = set(required_for(source, target))
        failed_form = bound.get("transition")
        mine = failed_form is not None and failed_form.data.get("to") == target.value
        steps.append(
            {
                "target": target,
                "verb": STEP_LABELS.get(target, verb_for(source, target)),
                "asks": asks,
                "panel": bool(asks) or target in CONFIRM_FIRST,
                "form": failed_form if mine else TransitionForm(initial={"to": target.value}, target=target.value),
                "open": mine,
            }
        )
    return steps


def _messages(form: forms.Form) -> list[str]:
    return [str(message) for messages in form.errors.values() for message in messages]


def _assign_initial(incident: Incident) -> dict[str, Any]:
    return {"group": incident.assignment_group_id, "assignee": incident.assignee_id}


def _on_call(incident: Incident) -> list[dict[str, object]]:
    """Who is on call for the incident's group now, per tier (nothing for a group without schedules)."""
    if incident.assignment_group_id is None:
        return []
    return [
        {
            "schedule": answer.schedule,
            "person": answer.person,
            "until": _instant(answer.stint.end) if answer.stint else None,
        }
        for answer in on_call_tiers(incident.assignment_group_id, clock.now())
    ]


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
