"""The routing decision: rule order, every kind of condition, and why a rule did not match."""

from dataclasses import replace

import pytest

from keel.routing.decide import AlertOrigin, RoutingFacts, RuleSpec, explain, route

FACTS = RoutingFacts(
    title="Wi-Fi drops on the third floor",
    description="Since this morning",
    category_id=1,
    subcategory_id=2,
    service_id=3,
    ci_id=4,
    ci_type_id=5,
    channel="phone",
    priority=3,
    caller_vip=True,
    caller_department="Finance",
    caller_location="Paris HQ",
    origin=AlertOrigin(source_id=6, labels={"site": "paris", "team": "net"}),
)


def _rule(name: str, **conditions: object) -> RuleSpec:
    return RuleSpec(id=hash(name) % 1000, name=name, group_id=1, group_name="Network", **conditions)  # type: ignore[arg-type]


# Each condition kind: one that holds for FACTS, one that does not, and the reason the tester gives.
CONDITIONS = [
    ("category_ids", frozenset({1}), frozenset({9}), "no match on category"),
    ("subcategory_ids", frozenset({2}), frozenset({9}), "no match on subcategory"),
    ("service_ids", frozenset({3}), frozenset({9}), "no match on service"),
    ("ci_ids", frozenset({4}), frozenset({9}), "no match on CI"),
    ("ci_type_ids", frozenset({5}), frozenset({9}), "no match on CI type"),
    ("channels", frozenset({"phone", "email"}), frozenset({"portal"}), "no match on channel"),
    ("priorities", frozenset({1, 2, 3}), frozenset({1}), "no match on priority"),
    ("caller_vip", True, False, "no match on caller VIP"),
    ("caller_departments", frozenset({"finance"}), frozenset({"hr"}), "no match on caller's department"),
    ("caller_locations", frozenset({"paris hq"}), frozenset({"lyon"}), "no match on caller's location"),
    ("source_ids", frozenset({6}), frozenset({9}), "no match on monitoring source"),
    ("labels", {"site": "paris"}, {"site": "lyon"}, "no match on alert labels"),
    ("words", ("wi-fi",), ("printer", "toner"), "no match on words"),
]


@pytest.mark.parametrize(("condition", "holding", "failing", "reason"), CONDITIONS, ids=[c[0] for c in CONDITIONS])
def test_each_condition_matches_what_it_names_and_says_why_not(
    condition: str, holding: object, failing: object, reason: str
) -> None:
    matching = route(FACTS, [_rule("holds", **{condition: holding})])
    missing = explain(FACTS, [_rule("fails", **{condition: failing})])

    assert matching.rule is not None
    assert missing.rule is None
    assert [miss.reason for miss in missing.misses] == [reason]


def test_the_first_matching_rule_wins_and_the_earlier_ones_say_why_not() -> None:
    rules = [
        _rule("Printers", words=("printer",)),
        _rule("Finance VIPs", caller_departments=frozenset({"finance"}), caller_vip=True),
        _rule("Anything on the phone", channels=frozenset({"phone"})),
    ]

    routing = explain(FACTS, rules)

    assert route(FACTS, rules).rule == routing.rule
    assert routing.rule is not None
    assert routing.rule.name == "Finance VIPs"
    assert [(miss.rule.name, miss.reason) for miss in routing.misses] == [("Printers", "no match on words")]


def test_no_rule_matches_an_empty_list_or_rules_that_all_fail() -> None:
    assert route(FACTS, []).rule is None
    assert route(FACTS, [_rule("Lyon", caller_locations=frozenset({"lyon"}))]).rule is None


def test_an_empty_rule_matches_anything() -> None:
    assert route(RoutingFacts(title="x"), [_rule("Catch-all")]).rule is not None


def test_alert_conditions_never_match_an_incident_that_did_not_come_from_monitoring() -> None:
    console = replace(FACTS, origin=None)

    assert route(console, [_rule("Alerts of 6", source_ids=frozenset({6}))]).rule is None
    assert route(console, [_rule("Paris alerts", labels={"site": "paris"})]).rule is None


def test_words_match_the_description_too_whatever_their_case() -> None:
    assert route(FACTS, [_rule("Morning", words=("THIS MORNING",))]).rule is not None
