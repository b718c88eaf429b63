"""Monitoring set-up over the API: maintenance windows, correlation rules, and the change events
tools reported."""

from collections.abc import Callable, Mapping
from typing import Any, Final

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from keel.accounts.queries import team_by_reference
from keel.cmdb.queries import ci_by_reference, service_by_reference
from keel.idempotency.api import idempotent
from keel.integrations.actions import rules, windows
from keel.integrations.api.common import manager, reader, with_records
from keel.integrations.api.documents import change_json, rule_json, window_json
from keel.integrations.queries.setup import change_events, correlation_rules, get_rule, get_window, maintenance_windows
from keel.integrations.queries.sources import source_by_reference
from keel.integrations.schemas import ChangeListOut, RuleIn, RuleOut, RulePatch, WindowIn, WindowOut, WindowPatch
from keel.lib.api import IfMatchHeader, created, one_of, page_limit, page_offset, tagged
from keel.lib.errors import InvalidInput

router = Router(tags=["monitoring"])


STATES: Final = ("running", "planned", "ended")


class WindowQuery(Schema):
    state: str | None = one_of(STATES)


class ChangeQuery(Schema):
    source: str | None = None
    limit: int = page_limit()
    offset: int = page_offset()


@router.get("/maintenance-windows", response=list[WindowOut])
def list_windows(request: HttpRequest, query: Query[WindowQuery]) -> list[dict[str, Any]]:
    reader(request)
    if query.state is not None and query.state not in STATES:
        raise InvalidInput(f"state takes {', '.join(STATES)} (got {query.state!r}).", field="state")
    found = maintenance_windows()
    groups = {"running": found.current, "planned": found.upcoming, "ended": found.past}
    return [window_json(window) for state, rows in groups.items() if query.state in {None, state} for window in rows]


@router.post("/maintenance-windows", response={201: WindowOut})
@idempotent
def create_window(request: HttpRequest, payload: WindowIn, response: HttpResponse) -> Status[dict[str, Any]]:
    window = windows.create_maintenance_window(actor=manager(request), **_window_fields(payload.model_dump()))
    location = f"/api/v1/maintenance-windows/{window.pk}"
    return created(response, location, window_json(window), tag=window.entity_tag)


@router.get("/maintenance-windows/{window_id}", response=WindowOut)
def read_window(request: HttpRequest, window_id: str, response: HttpResponse) -> dict[str, Any]:
    reader(request)
    window = get_window(window_id)
    return tagged(response, window.entity_tag, window_json(window))


@router.patch("/maintenance-windows/{window_id}", response=WindowOut)
def patch_window(
    request: HttpRequest, window_id: str, payload: WindowPatch, response: HttpResponse, if_match: IfMatchHeader = None
) -> dict[str, Any]:
    actor = manager(request)
    window = get_window(window_id)
    data = payload.model_dump(exclude_unset=True)
    window = windows.update_maintenance_window(window, actor=actor, if_match=if_match, **_window_fields(data))
    return tagged(response, window.entity_tag, window_json(window))


@router.delete("/maintenance-windows/{window_id}", response={200: WindowOut, 204: None})
def end_window(
    request: HttpRequest, window_id: str, response: HttpResponse, if_match: IfMatchHeader = None
) -> Status[dict[str, Any] | None]:
    """End the window now; one that had not started is removed (204)."""
    actor = manager(request)
    window = windows.end_maintenance_window(get_window(window_id), actor=actor, if_match=if_match)
    if window.pk is None:
        return Status(204, None)
    return Status(200, tagged(response, window.entity_tag, window_json(window)))


def _window_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    for name in ("starts_at", "ends_at"):
        if data.get(name) is not None and data[name].tzinfo is None:
            raise InvalidInput(f"{name} needs a time zone, e.g. 2026-11-27T22:00:00Z.", field=name)
    return with_records(data, _WINDOW_REFERENCES)


_WINDOW_REFERENCES: Final[Mapping[str, Callable[[Any], Any]]] = {
    "ci": ci_by_reference,
    "service": service_by_reference,
}


# --- correlation rules -----------------------------------------------------------------------


@router.get("/correlation-rules", response=list[RuleOut])
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    reader(request)
    return [rule_json(rule) for rule in correlation_rules()]


@router.post("/correlation-rules", response={201: RuleOut})
@idempotent
def create_rule(request: HttpRequest, payload: RuleIn, response: HttpResponse) -> Status[dict[str, Any]]:
    rule = rules.create_rule(actor=manager(request), fields=with_records(payload.model_dump(), _RULE_REFERENCES))
    return created(response, f"/api/v1/correlation-rules/{rule.pk}", rule_json(rule), tag=rule.entity_tag)


@router.get("/correlation-rules/{reference}", response=RuleOut)
def read_rule(request: HttpRequest, reference: str, response: HttpResponse) -> dict[str, Any]:
    reader(request)
    rule = get_rule(reference)
    return tagged(response, rule.entity_tag, rule_json(rule))


@router.patch("/correlation-rules/{reference}", response=RuleOut)
def patch_rule(
    request: HttpRequest, reference: str, payload: RulePatch, response: HttpResponse, if_match: IfMatchHeader = None
) -> dict[str, Any]:
    actor = manager(request)
    data = payload.model_dump(exclude_unset=True)
    changes = with_records(data, _RULE_REFERENCES)
    rule = rules.update_rule(get_rule(reference), actor=actor, changes=changes, if_match=if_match)
    return tagged(response, rule.entity_tag, rule_json(rule))


_RULE_REFERENCES: Final[Mapping[str, Callable[[Any], Any]]] = {
    "source": source_by_reference,
    "assignment_group": team_by_reference,
}


# --- change events ---------------------------------------------------------------------------


@router.get("/changes", response=ChangeListOut)
def list_changes(request: HttpRequest, query: Query[ChangeQuery]) -> dict[str, Any]:
    reader(request)
    source_id = source_by_reference(query.source).pk if query.source else None
    rows = change_events(source_id=source_id, offset=query.offset, limit=query.limit + 1)
    return {
        "items": [change_json(change) for change in rows[: query.limit]],
        "offset": query.offset,
        "limit": query.limit,
        "has_more": len(rows) > query.limit,
    }
