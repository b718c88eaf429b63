"""Escalation policies in the console, beside the routing rules: IT staff read them; incident
managers and administrators add, change and remove them (the actions refuse anyone else too)."""

from typing import Final

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keel.accounts.models import Team, User
from keel.escalation import actions as escalation
from keel.escalation.models import EscalationPolicy
from keel.escalation.permissions import can_manage_escalation, can_read_escalation
from keel.escalation.queries import escalation_policies, get_policy
from keel.escalation.steps import parse_steps
from keel.incidents.forms.escalation import EscalationPolicyForm
from keel.incidents.views.common import guarded, show_error
from keel.lib.errors import KeelError, NotFound

STAFF_ONLY: Final = "Escalation policies are for IT staff."
MANAGERS_ONLY: Final = "Only incident managers and administrators change escalation policies."


@require_GET
@guarded(can_read_escalation, STAFF_ONLY)
def policy_list(request: HttpRequest, user: User) -> HttpResponse:
    policies = list(escalation_policies())
    names = dict(Team.objects.filter(pk__in={pk for p in policies for pk in p.group_ids}).values_list("pk", "name"))
    described = [
        {
            "policy": policy,
            "groups": [names.get(pk, f"#{pk} (gone)") for pk in policy.group_ids],
            "steps": [step.describe() for step in parse_steps(policy.steps)],
        }
        for policy in policies
    ]
    context = {"nav": "routing", "policies": described, "can_manage": can_manage_escalation(user)}
    return render(request, "incidents/escalation/policies.html", context)


@require_http_methods(["GET", "POST"])
@guarded(can_manage_escalation, MANAGERS_ONLY)
def policy_new(request: HttpRequest, user: User) -> HttpResponse:
    form = EscalationPolicyForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            policy = escalation.create_policy(actor=user, fields=form.fields_for_action())
        except KeelError as error:
            show_error(form, error)
        else:
            messages.success(request, f"Added “{policy.name}”.")
            return redirect("routing:policies")
    return _form_page(request, form, policy=None)


@require_http_methods(["GET", "POST"])
@guarded(can_manage_escalation, MANAGERS_ONLY)
def policy_edit(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    policy = _policy(pk)
    data = request.POST if request.method == "POST" else None
    keys = [step["key"] for step in policy.steps]
    form = EscalationPolicyForm(data, initial=EscalationPolicyForm.initial_for(policy), keys=keys)
    if form.is_bound and form.is_valid():
        try:
            escalation.update_policy(policy, actor=user, changes=form.fields_for_action())
        except KeelError as error:
            show_error(form, error)
        else:
            messages.success(request, f"Saved “{policy.name}”.")
            return redirect("routing:policies")
    return _form_page(request, form, policy=policy)


@require_POST
@guarded(can_manage_escalation, MANAGERS_ONLY)
def policy_delete(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    policy = _policy(pk)
    name = policy.name
    escalation.delete_policy(policy, actor=user)
    messages.success(request, f"Removed “{name}”: what it escalated keeps its timeline.")
    return redirect("routing:policies")


def _policy(pk: int) -> EscalationPolicy:
    try:
        return get_policy(pk)
    except NotFound as error:
        raise Http404(error.message) from error


def _form_page(request: HttpRequest, form: EscalationPolicyForm, *, policy: EscalationPolicy | None) -> HttpResponse:
    context = {"nav": "routing", "form": form, "policy": policy}
    return render(request, "incidents/escalation/policy_edit.html", context, status=400 if form.is_bound else 200)
