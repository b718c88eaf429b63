"""Reads of routing rules: the rules as the decision takes them (kept in memory per process until a
rule changes), and the rules as people list and find them."""

from threading import Lock
from typing import Final

from django.db.models import QuerySet

from keel.accounts.models import Team
from keel.lib.errors import NotFound
from keel.lib.references import by_reference
from keel.routing.decide import RuleSpec
from keel.routing.models import GroupAssignment, RoutingRule, RuleSetVersion

_cache: dict[str, tuple[str, tuple[RuleSpec, ...]]] = {}
_cache_lock: Final = Lock()


def routing_rules() -> QuerySet[RoutingRule]:
    """Every rule, in the order they are tried, with its group."""
    return RoutingRule.objects.select_related("assignment_group").order_by("position", "id")


def get_rule(reference: str | int) -> RoutingRule:
    """The rule a URL names (its id or exact name); NotFound otherwise."""
    return by_reference(
        routing_rules(),
        reference,
        key="name",
        field="id",
        what="routing rule",
        give="a rule id or name",
        missing=NotFound,
    )


def rule_set_version() -> str:
    return RuleSetVersion.objects.filter(pk=1).values_list("stamp", flat=True).first() or ""


def active_rules() -> tuple[RuleSpec, ...]:
    """The active rules in order, as the decision reads them: one small read per call, and the
    rules themselves only when a rule changed since this process last read them."""
    version = rule_set_version()
    if not version:
        return ()  # no rule was ever written
    cached = _cache.get("rules")
    if cached is not None and cached[0] == version:
        return cached[1]
    rules = tuple(spec_of(rule) for rule in routing_rules().filter(is_active=True))
    with _cache_lock:
        _cache["rules"] = (version, rules)
    return rules


def spec_of(rule: RoutingRule) -> RuleSpec:
    return RuleSpec(
        id=rule.pk,
        name=rule.name,
        group_id=rule.assignment_group_id,
        group_name=str(rule.assignment_group),
        category_ids=frozenset(rule.category_ids),
        subcategory_ids=frozenset(rule.subcategory_ids),
        service_ids=frozenset(rule.service_ids),
        ci_ids=frozenset(rule.ci_ids),
        ci_type_ids=frozenset(rule.ci_type_ids),
        channels=frozenset(rule.channels),
        priorities=frozenset(rule.priorities),
        caller_vip=rule.caller_vip,
        caller_departments=frozenset(name.casefold() for name in rule.caller_departments),
        caller_locations=frozenset(name.casefold() for name in rule.caller_locations),
        source_ids=frozenset(rule.source_ids),
        labels=dict(rule.labels),
        words=tuple(word.casefold() for word in rule.words),
        set_urgency=rule.set_urgency,
        set_impact=rule.set_impact,
    )


def group_assignments() -> QuerySet[GroupAssignment]:
    """Every group that hands routed incidents to a member, by the group's name."""
    return GroupAssignment.objects.select_related("team", "last_assignee").order_by("team__name")


def get_group_assignment(reference: str | int) -> GroupAssignment:
    """The strategy of the group a URL names (its id or slug); NotFound when it has none."""
    team = by_reference(
        Team.objects.all(), reference, key="slug", field="team", what="team", give="a team id or slug", missing=NotFound
    )
    found = group_assignments().filter(team=team).first()
    if found is None:
        raise NotFound(f"{team} works manually: it has no strategy.", field="team")
    return found
