"""Which rule routes a new incident: pure decisions over plain values, no ORM (DESIGN: routing).

``route(facts, rules)`` tries the rules in order and answers the first whose every condition holds;
``explain`` also says, for each rule before it, the first condition that did not (the rule tester).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
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

    @cached_property
    def checks(self) -> tuple[tuple[str, "Check"], ...]:
        """The conditions this rule has, each a check of the facts (an empty one is left out)."""
        return _checks(self)


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
    """The first of ``rules`` (in their order) whose every condition holds for ``facts``. Each rule
    checks only the conditions it has, and stops at the first that fails (``explain`` says which)."""
    seen = _Seen.of(facts)
    for rule in rules:
        for _, check in rule.checks:
            if not check(seen):
                break
        else:
            return Routing(rule, ())
    return Routing(None, ())


def explain(facts: RoutingFacts, rules: Sequence[RuleSpec]) -> Routing:
    """``route``'s answer, with why each rule before the one that matched did not (the rule tester)."""
    seen = _Seen.of(facts)
    misses: list[Miss] = []
    for rule in rules:
        failed = next((condition for condition, check in rule.checks if not check(seen)), None)
        if failed is None:
            return Routing(rule, tuple(misses))
        misses.append(Miss(rule, f"no match on {failed}"))
    return Routing(None, tuple(misses))


@dataclass(frozen=True)
class _Seen:
    """The facts as the checks read them: the text and the caller's words case-folded once."""

    facts: RoutingFacts
    text: str
    department: str
    location: str
    source_id: int | None
    labels: Mapping[str, str]

    @staticmethod
    def of(facts: RoutingFacts) -> "_Seen":
        origin = facts.origin
        return _Seen(
            facts,
            f"{facts.title}\n{facts.description}".casefold(),
            facts.caller_department.casefold(),
            facts.caller_location.casefold(),
            origin.source_id if origin else None,
            origin.labels if origin else {},
        )


type Check = Callable[[_Seen], bool]


def _checks(rule: RuleSpec) -> tuple[tuple[str, Check], ...]:
    """The rule's conditions that are set, in the order the tester names them, each a check."""
    words = tuple(word.casefold() for word in rule.words)
    labels = tuple(rule.labels.items())
    candidates: list[tuple[str, object, Check]] = [
        ("category", rule.category_ids, lambda seen: seen.facts.category_id in rule.category_ids),
        ("subcategory", rule.subcategory_ids, lambda seen: seen.facts.subcategory_id in rule.subcategory_ids),
        ("service", rule.service_ids, lambda seen: seen.facts.service_id in rule.service_ids),
        ("CI", rule.ci_ids, lambda seen: seen.facts.ci_id in rule.ci_ids),
        ("CI type", rule.ci_type_ids, lambda seen: seen.facts.ci_type_id in rule.ci_type_ids),
        ("channel", rule.channels, lambda seen: seen.facts.channel in rule.channels),
        ("priority", rule.priorities, lambda seen: seen.facts.priority in rule.priorities),
        ("caller VIP", rule.caller_vip is not None, lambda seen: seen.facts.caller_vip == rule.caller_vip),
        ("caller's department", rule.caller_departments, lambda seen: seen.department in rule.caller_departments),
        ("caller's location", rule.caller_locations, lambda seen: seen.location in rule.caller_locations),
        ("monitoring source", rule.source_ids, lambda seen: seen.source_id in rule.source_ids),
        ("alert labels", labels, lambda seen: all(seen.labels.get(name) == value for name, value in labels)),
        ("words", words, _contains_any(words)),
    ]
    return tuple((condition, check) for condition, given, check in candidates if given)


def _contains_any(words: tuple[str, ...]) -> Check:
    if len(words) == 1:  # the common case, without a generator per incident
        word = words[0]
        return lambda seen: word in seen.text
    return lambda seen: any(word in seen.text for word in words)
