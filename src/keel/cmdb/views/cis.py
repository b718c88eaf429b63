"""CIs in the console: list and search, create and edit, relationships, the impact graph.

The CI record page (with its incidents) is in ``keel.reporting``: it joins incidents, which sit above the CMDB.
"""

from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keel.cmdb.actions.records import create_ci_from, update_ci
from keel.cmdb.actions.relationships import relate, unrelate
from keel.cmdb.forms import CIForm, RelationshipForm
from keel.cmdb.graph import layers
from keel.cmdb.impact import (
    DEFAULT_DEPTH,
    MAX_DEPTH,
    Direction,
    ReachedCI,
    impact_of,
    parse_depth,
    parse_direction,
    steps_among,
)
from keel.cmdb.kinds import WHOLE_NEEDS_PART, RelationshipKind
from keel.cmdb.models import ConfigurationItem
from keel.cmdb.permissions import can_manage_cmdb
from keel.cmdb.queries import CIFilters, ci_by_reference, ci_types, cis_matching, get_ci, get_relationship
from keel.cmdb.views.common import form_page, found, managers_only, saved, signed_in_user
from keel.lib.errors import KeelError, NotFound

PAGE: Final = 50
# Past this many CIs the graph is drawn only to the distance that fits; the API gives them all.
MAX_DRAWN: Final = 300


@login_required
@require_GET
def ci_list(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    type_slug = request.GET.get("type", "").strip()
    offset = _offset(request.GET.get("offset", "0"))
    rows = list(cis_matching(CIFilters(text=text, type_slug=type_slug))[offset : offset + PAGE + 1])
    context = {
        "nav": "cmdb",
        "cis": rows[:PAGE],
        "q": text,
        "type": type_slug,
        "types": ci_types(),
        "offset": offset,
        "next_offset": offset + PAGE if len(rows) > PAGE else None,
        "previous_offset": max(offset - PAGE, 0) if offset else None,
        "can_manage": can_manage_cmdb(signed_in_user(request)),
    }
    return render(request, "cmdb/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@managers_only
def ci_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = CIForm(request.POST or None)
    ci = saved(request, form, lambda: create_ci_from(actor=user, fields=form.fields_for_action()))
    if ci is not None:
        messages.success(request, f"Added {ci.name} to the CMDB.")
        return redirect("reporting:ci", pk=ci.pk)
    return form_page(request, "cmdb/edit.html", form, {"ci": None})


@login_required
@require_http_methods(["GET", "POST"])
@managers_only
def ci_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    ci = found(get_ci, pk)
    form = CIForm(request.POST or None, initial=CIForm.initial_for(ci))
    if saved(request, form, lambda: update_ci(ci, actor=user, changes=form.fields_for_action())) is not None:
        messages.success(request, f"Saved {ci.name}.")
        return redirect("reporting:ci", pk=ci.pk)
    return form_page(request, "cmdb/edit.html", form, {"ci": ci})


@login_required
@require_POST
@managers_only
def relationship_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    ci = found(get_ci, pk)
    form = RelationshipForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a kind and give the other CI's exact name.")
        return redirect("reporting:ci", pk=ci.pk)
    try:
        target = ci_by_reference(form.cleaned_data["target"].strip(), field="target")
        relationship = relate(actor=user, source=ci, target=target, kind=form.cleaned_data["kind"])
    except KeelError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Recorded: {relationship}.")
    return redirect("reporting:ci", pk=ci.pk)


@login_required
@require_POST
@managers_only
def relationship_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    try:
        relationship = get_relationship(pk)
    except NotFound as error:
        messages.error(request, error.message)
        return redirect("cmdb:list")
    back = int(request.POST.get("back", relationship.source_id))
    unrelate(relationship, actor=user)
    messages.success(request, f"Removed: {relationship}.")
    return redirect("reporting:ci", pk=back)


@login_required
@require_GET
def impact(request: HttpRequest, pk: int) -> HttpResponse:
    ci = found(get_ci, pk)
    try:
        direction = parse_direction(request.GET.get("direction", Direction.UP.value))
        depth = parse_depth(request.GET.get("depth", DEFAULT_DEPTH))
    except KeelError as error:
        return render(request, "cmdb/impact.html", {"nav": "cmdb", "ci": ci, "error": error.message}, status=400)
    return render(request, "cmdb/impact.html", _impact_context(ci, direction=direction, depth=depth))


def _impact_context(ci: ConfigurationItem, *, direction: Direction, depth: int) -> dict[str, Any]:
    found = impact_of(ci, direction=direction, depth=depth)
    limit = _drawable_depth(found.cis)
    drawn = [reached for reached in found.cis if reached.distance <= limit][:MAX_DRAWN]
    distances = {ci.pk: 0, **{reached.id: reached.distance for reached in drawn}}
    by_id: dict[int, ConfigurationItem | ReachedCI] = {ci.pk: ci, **{reached.id: reached for reached in drawn}}
    services = {service.ci_id: service for service, _ in found.services}
    graph = layers(distances, steps_among(list(distances), direction=direction))
    return {
        "nav": "cmdb",
        "ci": ci,
        "impact": found,
        "direction": direction.value,
        "depth": depth,
        "depths": range(1, MAX_DEPTH + 1),
        "layers": [
            [
                {
                    "ci": by_id[node.ci_id],
                    "type": _type_name(by_id[node.ci_id]),
                    "service": services.get(node.ci_id),
                    "in_cycle": node.in_cycle,
                    "via": [_via(direction, link.kind, by_id[link.other_id].name) for link in node.reached_from],
                    "loops": [by_id[link.other_id].name for link in node.loops_to],
                }
                for node in sorted(layer, key=lambda node: by_id[node.ci_id].name)
            ]
            for layer in graph
        ],
        "hidden": len(found.cis) - len(drawn),
        "max_drawn": MAX_DRAWN,
        "cycles": sum(1 for layer in graph for node in layer if node.in_cycle),
    }


def _type_name(ci: ConfigurationItem | ReachedCI) -> str:
    return ci.type_name if isinstance(ci, ReachedCI) else ci.ci_type.name


def _via(direction: Direction, kind: str, other: str) -> str:
    """How a CI in the graph hangs on the one nearer the start, in words."""
    if direction == Direction.UP:
        return f"has part {other}" if kind in WHOLE_NEEDS_PART else f"{RelationshipKind(kind).label} {other}"
    if kind in WHOLE_NEEDS_PART:
        return f"part of {other}"
    return f"{other} {RelationshipKind(kind).label} it"


def _drawable_depth(reached: list[ReachedCI]) -> int:
    """The largest distance whose CIs, with all nearer ones, stay within MAX_DRAWN."""
    if len(reached) <= MAX_DRAWN:
        return MAX_DEPTH
    return max(reached[MAX_DRAWN].distance - 1, 1)


def _offset(raw: str) -> int:
    return int(raw) if raw.isdigit() else 0
