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
from keel.lib.api import IfMatchHeader, one_of, page_limit, page_offset
from keel.lib.errors import InvalidInput
from keel.lib.resources import Access, Resources

router = Router(tags=["monitoring"])
resource = Resources(router, __name__, Access(read=reader, write=manager, once=idempotent))


STATES: Final = ("running", "planned", "ended")


class WindowQuery(Schema):
    state: str | None = one_of(STATES)


class ChangeQuery(Schema):
    source: str | None = None
    limit: int = page_limit()
    offset: int = page_offset()


def _window_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    for name in ("starts_at", "ends_at"):
        if data.get(name) is not None and data[name].tzinfo is None:
            raise InvalidInput(f"{name} needs a time zone, e.g. 2026-11-27T22:00:00Z.", field=name)
    return with_records(data, _WINDOW_REFERENCES)


_WINDOW_REFERENCES: Final[Mapping[str, Callable[[Any], Any]]] = {
    "ci": ci_by_reference,
    "service": service_by_reference,
}


WINDOWS = resource(
    "/maintenance-windows",
    one="window",
    many="windows",
    find=get_window,
    document=window_json,
    out=WindowOut,
    fields=_window_fields,
)


@router.get("/maintenance-windows", response=list[WindowOut])
def list_windows(request: HttpRequest, query: Query[WindowQuery]) -> list[dict[str, Any]]:
    reader(request)
    if query.state is not None and query.state not in STATES:
        raise InvalidInput(f"state takes {', '.join(STATES)} (got {query.state!r}).", field="state")
    found = maintenance_windows()
    groups = {"running": found.current, "planned": found.upcoming, "ended": found.past}
    return [window_json(window) for state, rows in groups.items() if query.state in {None, state} for window in rows]


WINDOWS.creating(WindowIn, lambda actor, fields: windows.create_maintenance_window(actor=actor, **fields))
WINDOWS.reading()
WINDOWS.changing(
    WindowPatch,
    lambda window, actor, changes, if_match: windows.update_maintenance_window(
        window, actor=actor, if_match=if_match, **changes
    ),
)


@router.delete(WINDOWS.item, response={200: WindowOut, 204: None})
def end_window(
    request: HttpRequest, reference: str, response: HttpResponse, if_match: IfMatchHeader = None
) -> Status[dict[str, Any] | None]:
    """End the window now; one that had not started is removed (204)."""
    actor = manager(request)
    window = windows.end_maintenance_window(get_window(reference), actor=actor, if_match=if_match)
    if window.pk is None:
        return Status(204, None)
    return Status(200, WINDOWS.answer(response, window))


# --- correlation rules -----------------------------------------------------------------------


_RULE_REFERENCES: Final[Mapping[str, Callable[[Any], Any]]] = {
    "source": source_by_reference,
    "assignment_group": team_by_reference,
}


RULES = resource(
    "/correlation-rules",
    one="rule",
    many="rules",
    find=get_rule,
    document=rule_json,
    out=RuleOut,
    fields=lambda data: with_records(data, _RULE_REFERENCES),
)
RULES.listing(correlation_rules)
RULES.creating(RuleIn, rules.create_rule)
RULES.reading()
RULES.changing(RulePatch, rules.update_rule)


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
