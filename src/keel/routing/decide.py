"""Which rule routes a new incident: pure decisions over plain values, no ORM (DESIGN: routing).

``route(facts, rules)`` tries the rules in order and answers the first whose every condition holds,
with, for each rule before it, the first condition that did not: what the rule tester shows.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

# Impact and urgency as incidents store them (1 high … 3 low); routing cannot import incidents'
# Level, and tests/routing checks the two agree.
LEVELS: Final[Mapping[str, int]] = {"high": 1, "medium": 2, "low": 3}
LEVEL_NAMES: Final[Mapping[int, str]] = {number: name for name, number in LEVELS.items()}


@dataclass(frozen=True)
class AlertOrigin:
    """For an incident opened from monitoring: the source that sent the alert, and its labels."""

    source_id: int
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutingFacts:
    """What the rules look at in a new incident."""

    title: str
    description: str = ""
    category_id: int | None = None
    subcategory_id: int | None = None
    service_id: int | None = None
    ci_id: int | None = None
    ci_type_id: int | None = None
    channel: str = ""
    priority: int | None = None
    caller_vip: bool = False
    caller_department: str = ""
    caller_location: str = ""
    origin: AlertOrigin | None = None


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the decision reads it (``queries.active_rules`` builds these from the rows)."""

    id: int
    name: str
    group_id: int
    group_name: str
    category_ids: frozenset[int] = frozenset()
    subcategory_ids: frozenset[int] = frozenset()
    service_ids: frozenset[int] = frozenset()
    ci_ids: frozenset[int] = frozenset()
    ci_type_ids: frozenset[int] = frozenset()
    channels: frozenset[str] = frozenset()
    priorities: frozenset[int] = frozenset()
    caller_vip: bool | None = None
    caller_departments: frozenset[str] = frozenset()  # case-folded
    caller_locations: frozenset[str] = frozenset()  # case-folded
    source_ids: frozenset[int] = frozenset()
    labels: Mapping[str, str] = field(default_factory=dict)
    words: tuple[str, ...] = ()
    set_urgency: int | None = None
    set_impact: int | None = None


@dataclass(frozen=True)
class Miss:
    """A rule tried before the one that matched, and the first of its conditions that did not hold."""

    rule: RuleSpec
    reason: str


@dataclass(frozen=True)
class Routing:
    """The rule that matched (None: none did) and why each rule before it did not."""

    rule: RuleSpec | None
    misses: tuple[Miss, ...]


def route(facts: RoutingFacts, rules: Sequence[RuleSpec]) -> Routing:
    """The first of ``rules`` (in their order) whose every condition holds for ``facts``."""
    misses: list[Miss] = []
    for rule in rules:
        reason = first_failed_condition(rule, facts)
        if reason is None:
            return Routing(rule, tuple(misses))
        misses.append(Miss(rule, reason))
    return Routing(None, tuple(misses))


def first_failed_condition(rule: RuleSpec, facts: RoutingFacts) -> str | None:
    """Why ``rule`` does not match ``facts`` (its first condition that fails), or None when it does."""
    for condition, holds in (
        ("category", _among(facts.category_id, rule.category_ids)),
        ("subcategory", _among(facts.subcategory_id, rule.subcategory_ids)),
        ("service", _among(facts.service_id, rule.service_ids)),
        ("CI", _among(facts.ci_id, rule.ci_ids)),
        ("CI type", _among(facts.ci_type_id, rule.ci_type_ids)),
        ("channel", _among(facts.channel, rule.channels)),
        ("priority", _among(facts.priority, rule.priorities)),
        ("caller VIP", rule.caller_vip is None or rule.caller_vip == facts.caller_vip),
        ("caller's department", _among(facts.caller_department.casefold(), rule.caller_departments)),
        ("caller's location", _among(facts.caller_location.casefold(), rule.caller_locations)),
        ("monitoring source", _among(facts.origin.source_id if facts.origin else None, rule.source_ids)),
        ("alert labels", _labels_hold(rule.labels, facts.origin)),
        ("words", _any_word(rule.words, facts)),
    ):
        if not holds:
            return f"no match on {condition}"
    return None


def _among[T](value: T | None, allowed: frozenset[T]) -> bool:
    return not allowed or value in allowed


def _labels_hold(wanted: Mapping[str, str], origin: AlertOrigin | None) -> bool:
    if not wanted:
        return True
    return origin is not None and all(origin.labels.get(name) == value for name, value in wanted.items())


def _any_word(words: Sequence[str], facts: RoutingFacts) -> bool:
    if not words:
        return True
    text = f"{facts.title}\n{facts.description}".casefold()
    return any(word.casefold() in text for word in words)
