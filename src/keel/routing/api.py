"""REST API v1 for routing rules: list, add, read, change, remove. Where a sample incident would
go is the incidents API's ``POST /routing/test`` (it is logged as an incident would be)."""

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from ninja import Router

from keel.accounts.api import user_of
from keel.accounts.models import User
from keel.accounts.queries import team_by_reference
from keel.idempotency.api import idempotent
from keel.lib.errors import NotAllowed
from keel.lib.resources import Access, Resources
from keel.routing import actions
from keel.routing.decide import LEVEL_NAMES, LEVELS
from keel.routing.models import GroupAssignment, RoutingRule
from keel.routing.permissions import can_read_routing
from keel.routing.queries import get_group_assignment, get_rule, group_assignments, routing_rules
from keel.routing.schemas import (
    GroupAssignmentIn,
    GroupAssignmentOut,
    GroupAssignmentPatch,
    RoutingRuleIn,
    RoutingRuleOut,
    RoutingRulePatch,
)

router = Router(tags=["routing"])


def _reader(request: HttpRequest) -> User:
    user = user_of(request)
    if not can_read_routing(user):
        raise NotAllowed("Only IT staff can see routing rules.")
    return user


def rule_json(rule: RoutingRule) -> dict[str, Any]:
    """The rule as ``RoutingRuleOut`` shows it."""
    shown = {name: getattr(rule, name) for name in RoutingRuleOut.model_fields}
    group = rule.assignment_group
    levels = {name: LEVEL_NAMES.get(getattr(rule, name)) for name in ("set_urgency", "set_impact")}
    return {**shown, **levels, "assignment_group": {"id": group.pk, "slug": group.slug, "name": group.name}}


def group_assignment_json(row: GroupAssignment) -> dict[str, Any]:
    team, last = row.team, row.last_assignee
    return {
        "team": {"id": team.pk, "slug": team.slug, "name": team.name},
        "strategy": row.strategy,
        "last_assignee": last.username if last else None,
    }


def _group_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    if fields.get("team") is not None:
        fields["team"] = team_by_reference(fields["team"], field="team")
    return fields


def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """A request's fields as the actions take them: the group as its team, levels as numbers."""
    fields = dict(data)
    if fields.get("assignment_group") is not None:
        fields["assignment_group"] = team_by_reference(fields["assignment_group"])
    for name in ("set_urgency", "set_impact"):
        if fields.get(name) is not None:
            fields[name] = LEVELS[fields[name]]
    return fields


resource = Resources(router, __name__, Access(read=_reader, write=user_of, once=idempotent))
RULES = resource(
    "/routing/rules",
    one="routing_rule",
    many="routing_rules",
    find=get_rule,
    document=rule_json,
    out=RoutingRuleOut,
    fields=_fields,
)
RULES.listing(routing_rules)
RULES.creating(RoutingRuleIn, actions.create_rule)
RULES.reading()
RULES.changing(RoutingRulePatch, actions.update_rule)
RULES.deleting(actions.delete_rule)

GROUPS = resource(
    "/routing/groups",
    one="group_assignment",
    many="group_assignments",
    find=get_group_assignment,
    document=group_assignment_json,
    out=GroupAssignmentOut,
    fields=_group_fields,
    key="team_id",
)
GROUPS.listing(group_assignments)
GROUPS.creating(GroupAssignmentIn, actions.create_group_assignment)
GROUPS.reading()
GROUPS.changing(GroupAssignmentPatch, actions.update_group_assignment)
GROUPS.deleting(actions.delete_group_assignment)
