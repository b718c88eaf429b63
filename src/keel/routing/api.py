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
from keel.routing.actions import create_rule, delete_rule, update_rule
from keel.routing.decide import LEVEL_NAMES, LEVELS
from keel.routing.models import RoutingRule
from keel.routing.permissions import can_read_routing
from keel.routing.queries import get_rule, routing_rules
from keel.routing.schemas import RoutingRuleIn, RoutingRuleOut, RoutingRulePatch

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
RULES.creating(RoutingRuleIn, create_rule)
RULES.reading()
RULES.changing(RoutingRulePatch, update_rule)
RULES.deleting(delete_rule)
