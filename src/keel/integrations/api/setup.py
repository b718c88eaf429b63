"""Monitoring set-up over the API: maintenance windows, correlation rules (written through
``actions.save_rule``), and the change events tools reported."""

from collections.abc import Mapping
from typing import Any, Final

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from keel.cmdb.queries import ci_by_reference, service_by_reference
from keel.integrations import actions
from keel.integrations.api.common import check_page, manager, reader, team_or_none
from keel.integrations.api.documents import change_json, rule_json, window_json
from keel.integrations.models import CorrelationRule
from keel.integrations.queries import (
    change_events,
    correlation_rules,
    get_rule,
    get_window,
    maintenance_windows,
    source_by_reference,
)
from keel.integrations.schemas import ChangeListOut, RuleIn, RuleOut, RulePatch, WindowIn, WindowOut, WindowPatch
from keel.lib.errors import InvalidInput

router = Router(tags=["monitoring"])


class WindowQuery(Schema):
    state: str | None = None


class ChangeQuery(Schema):
    source: str | None = None
    limit: int = 50
    offset: int = 0


STATES: Final = ("running", "planned", "ended")


@router.get("/maintenance-windows", response=list[WindowOut])
def list_windows(request: HttpRequest, query: Query[WindowQuery]) -> list[dict[str, Any]]:
    reader(request)
    if query.state is not None and query.state not in STATES:
        raise InvalidInput(f"state takes {', '.join(STATES)} (got {query.state!r}).", field="state")
    found = maintenance_windows()
    groups = {"running": found.current, "planned": found.upcoming, "ended": found.past}
    return [window_json(window) for state, rows in groups.items() if query.state in {None, state} for window in rows]


@router.post("/maintenance-windows", response={201: WindowOut})
def create_window(request: HttpRequest, payload: WindowIn, response: HttpResponse) -> Status[dict[str, Any]]:
    actor = manager(request)
    data = payload.model_dump()
    window = actions.create_maintenance_window(actor=actor, **_window_fields(data))
    response["Location"] = f"/api/v1/maintenance-windows/{window.pk}"
    return Status(201, window_json(window))


@router.get("/maintenance-windows/{window_id}", response=WindowOut)
def read_window(request: HttpRequest, window_id: str) -> dict[str, Any]:
    reader(request)
    return window_json(get_window(window_id))


@router.patch("/maintenance-windows/{window_id}", response=WindowOut)
def patch_window(request: HttpRequest, window_id: str, payload: WindowPatch) -> dict[str, Any]:
    actor = manager(request)
    window = get_window(window_id)
    data = payload.model_dump(exclude_unset=True)
    for name in ("name", "starts_at", "ends_at", "matchers", "reason"):
        if name in data and data[name] is None:
            raise InvalidInput(f"{name} cannot be empty; leave it out to keep it.", field=name)
    return window_json(actions.update_maintenance_window(window, actor=actor, **_window_fields(data)))


@router.delete("/maintenance-windows/{window_id}", response={200: WindowOut, 204: None})
def end_window(request: HttpRequest, window_id: str) -> Status[dict[str, Any] | None]:
    """End the window now; one that had not started is removed (204)."""
    actor = manager(request)
    window = actions.end_maintenance_window(get_window(window_id), actor=actor)
    return Status(204, None) if window.pk is None else Status(200, window_json(window))


def _window_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    for name in ("starts_at", "ends_at"):
        if fields.get(name) is not None and fields[name].tzinfo is None:
            raise InvalidInput(f"{name} needs a time zone, e.g. 2026-11-27T22:00:00Z.", field=name)
    if "ci" in fields:
        fields["ci"] = ci_by_reference(fields["ci"]) if fields["ci"] is not None else None
    if "service" in fields:
        fields["service"] = service_by_reference(fields["service"]) if fields["service"] is not None else None
    return fields


# --- correlation rules -----------------------------------------------------------------------


@router.get("/correlation-rules", response=list[RuleOut])
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    reader(request)
    return [rule_json(rule) for rule in correlation_rules()]


@router.post("/correlation-rules", response={201: RuleOut})
def create_rule(request: HttpRequest, payload: RuleIn, response: HttpResponse) -> Status[dict[str, Any]]:
    actor = manager(request)
    rule = actions.save_rule(_rule_with(CorrelationRule(), payload.model_dump()), actor=actor)
    response["Location"] = f"/api/v1/correlation-rules/{rule.pk}"
    return Status(201, rule_json(rule))


@router.get("/correlation-rules/{reference}", response=RuleOut)
def read_rule(request: HttpRequest, reference: str) -> dict[str, Any]:
    reader(request)
    return rule_json(get_rule(reference))


@router.patch("/correlation-rules/{reference}", response=RuleOut)
def patch_rule(request: HttpRequest, reference: str, payload: RulePatch) -> dict[str, Any]:
    actor = manager(request)
    data = payload.model_dump(exclude_unset=True)
    for name, value in data.items():
        if value is None and name not in {"source", "assignment_group"}:
            raise InvalidInput(f"{name} cannot be empty; leave it out to keep it.", field=name)
    return rule_json(actions.save_rule(_rule_with(get_rule(reference), data), actor=actor))


def _rule_with(rule: CorrelationRule, data: Mapping[str, Any]) -> CorrelationRule:
    """The rule with these fields set (references found), not saved: save_rule checks and stores it."""
    for name, value in data.items():
        if name == "source":
            rule.source = source_by_reference(value) if value is not None else None
        elif name == "assignment_group":
            rule.assignment_group = team_or_none(value)
        else:
            setattr(rule, name, value)
    return rule


# --- change events ---------------------------------------------------------------------------


@router.get("/changes", response=ChangeListOut)
def list_changes(request: HttpRequest, query: Query[ChangeQuery]) -> dict[str, Any]:
    reader(request)
    check_page(query.limit, query.offset)
    source_id = source_by_reference(query.source).pk if query.source else None
    rows = change_events(source_id=source_id, offset=query.offset, limit=query.limit + 1)
    return {
        "items": [change_json(change) for change in rows[: query.limit]],
        "offset": query.offset,
        "limit": query.limit,
        "has_more": len(rows) > query.limit,
    }
