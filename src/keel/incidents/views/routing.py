"""Routing rules in the console: IT staff read them and try them on a sample incident; incident
managers and administrators add, change and remove them (the actions refuse anyone else too)."""

from typing import Final

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keel.accounts.models import Team, User
from keel.incidents.forms.routing import RoutingRuleForm, RoutingTestForm
from keel.incidents.queries.routing import Report, described_rules, group_strategies, preview_routing
from keel.incidents.states import Channel, Level
from keel.incidents.views.common import HtmxHttpRequest, guarded, render_page_or_partial, show_error
from keel.lib.errors import KeelError, NotFound
from keel.routing import actions as routing
from keel.routing.models import RoutingRule, Strategy
from keel.routing.permissions import can_manage_routing, can_read_routing
from keel.routing.queries import get_rule

STAFF_ONLY: Final = "Routing rules are for IT staff."
MANAGERS_ONLY: Final = "Only incident managers and administrators change routing rules."


@require_GET
@guarded(can_read_routing, STAFF_ONLY)
def rule_list(request: HttpRequest, user: User) -> HttpResponse:
    return render(request, "incidents/routing/rules.html", _rules_context(user, RoutingTestForm()))


@require_http_methods(["GET", "POST"])
@guarded(can_manage_routing, MANAGERS_ONLY)
def rule_new(request: HttpRequest, user: User) -> HttpResponse:
    form = RoutingRuleForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            rule = routing.create_rule(actor=user, fields=form.fields_for_action())
        except KeelError as error:
            show_error(form, error)
        else:
            messages.success(request, f"Added “{rule.name}”: new incidents it matches go to {rule.assignment_group}.")
            return redirect("routing:rules")
    return _form_page(request, form, rule=None)


@require_http_methods(["GET", "POST"])
@guarded(can_manage_routing, MANAGERS_ONLY)
def rule_edit(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    rule = _rule(pk)
    data = request.POST if request.method == "POST" else None
    form = RoutingRuleForm(data, initial=RoutingRuleForm.initial_for(rule))
    if form.is_bound and form.is_valid():
        try:
            routing.update_rule(rule, actor=user, changes=form.fields_for_action())
        except KeelError as error:
            show_error(form, error)
        else:
            messages.success(request, f"Saved “{rule.name}”.")
            return redirect("routing:rules")
    return _form_page(request, form, rule=rule)


@require_POST
@guarded(can_manage_routing, MANAGERS_ONLY)
def rule_delete(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    rule = _rule(pk)
    name = rule.name
    routing.delete_rule(rule, actor=user)
    messages.success(request, f"Removed “{name}”: incidents it routed keep their group.")
    return redirect("routing:rules")


@require_POST
@guarded(can_read_routing, STAFF_ONLY)
def rule_test(request: HtmxHttpRequest, user: User) -> HttpResponse:
    """Where the sample incident would go: the tester's fragment for htmx, the rules page otherwise."""
    form = RoutingTestForm(request.POST)
    preview = None
    if form.is_valid():
        data = form.cleaned_data
        shown = {name: data[name] for name in ("description", "category", "subcategory", "service", "ci")}
        report = Report(title=data["title"], caller=user, channel=Channel(data["channel"]), **shown)
        impact = Level(data["impact"]) if data["impact"] is not None else None
        preview = preview_routing(report, impact=impact, urgency=Level(data["urgency"]))
    return render_page_or_partial(
        request,
        page="incidents/routing/rules.html",
        partial="incidents/routing/partials/tester.html",
        context={**_rules_context(user, form), "preview": preview},
        status=200 if preview is not None else 400,
    )


@require_POST
@guarded(can_manage_routing, MANAGERS_ONLY)
def group_strategy(request: HttpRequest, user: User, team_id: int) -> HttpResponse:
    """Set how a group hands out routed incidents; "manual" takes its strategy away."""
    team = get_object_or_404(Team, pk=team_id)
    chosen = request.POST.get("strategy", "")
    try:
        routing.set_group_strategy(team, actor=user, strategy=chosen)
    except KeelError as error:
        messages.error(request, f"{team}: {error.message}")
    else:
        messages.success(request, f"Saved for {team}: {Strategy(chosen).label}.")
    return redirect("routing:rules")


def _rules_context(user: User, tester: RoutingTestForm) -> dict[str, object]:
    return {
        "nav": "routing",
        "rules": described_rules(),
        "groups": group_strategies(),
        "strategies": Strategy.choices,
        "can_manage": can_manage_routing(user),
        "tester": tester,
    }


def _rule(pk: int) -> RoutingRule:
    try:
        return get_rule(pk)
    except NotFound as error:
        raise Http404(error.message) from error


def _form_page(request: HttpRequest, form: RoutingRuleForm, *, rule: RoutingRule | None) -> HttpResponse:
    context = {"nav": "routing", "form": form, "rule": rule}
    return render(request, "incidents/routing/rule_edit.html", context, status=400 if form.is_bound else 200)
