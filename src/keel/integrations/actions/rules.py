"""Correlation rules: when alerts open an incident and which alerts join one. Added and changed
through the API and the admin alike, each change audited field by field (subject
``correlation_rule``); what a rule decides is ``integrations/correlation.py``."""

from collections.abc import Mapping
from typing import Any, Final

from keel.accounts.models import User
from keel.audit.actions import create_audited, update_audited
from keel.integrations.actions._setup import check_manager, claiming_name, refuse_taken_name
from keel.integrations.correlation import clean_matchers
from keel.integrations.inbound.parsed import Severity
from keel.integrations.models import CorrelationRule
from keel.integrations.states import GroupBy, OnAllResolved, OnRefire
from keel.lib.conditional import IfMatch
from keel.lib.errors import InvalidInput

SUBJECT: Final = "correlation_rule"
# What people set on a rule: all of it.
RULE_FIELDS: Final = (
    "name",
    "position",
    "is_active",
    "source",
    "severities",
    "matchers",
    "opens_incident",
    "min_occurrences",
    "min_firing_s",
    "group_by",
    "group_labels",
    "window_s",
    "on_all_resolved",
    "on_refire",
    "assignment_group",
)


def create_rule(*, actor: User | None, fields: Mapping[str, Any]) -> CorrelationRule:
    """Add a correlation rule of these ``RULE_FIELDS`` (the others take their defaults)."""
    check_manager(actor)
    _refuse_unknown(fields)
    rule = CorrelationRule(**fields)
    check_rule(rule)
    refuse_taken_name(CorrelationRule.objects.all(), rule.name, what="rule")
    with claiming_name("rule", rule.name):
        create_audited(rule, subject_type=SUBJECT, actor=actor)
    return rule


def update_rule(
    rule: CorrelationRule, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> CorrelationRule:
    """Change these fields of the rule, checked as the whole rule would be stored; only the fields
    that differ are written."""
    check_manager(actor)
    _refuse_unknown(changes)
    candidate = CorrelationRule(**{**{name: getattr(rule, name) for name in RULE_FIELDS}, **changes})
    check_rule(candidate)
    checked = {name: getattr(candidate, name) for name in changes}
    if "name" in checked:
        refuse_taken_name(CorrelationRule.objects.all(), candidate.name, what="rule", but=rule.pk)
    with claiming_name("rule", candidate.name):
        update_audited(rule, checked, subject_type=SUBJECT, actor=actor, allowed=RULE_FIELDS, if_match=if_match)
    return rule


def _refuse_unknown(fields: Mapping[str, Any]) -> None:
    unknown = sorted(set(fields) - set(RULE_FIELDS))
    if unknown:
        raise InvalidInput(f"These fields cannot be set: {', '.join(unknown)}.", field=unknown[0])


def check_rule(rule: CorrelationRule) -> None:
    """Normalise the rule's name and matchers in place; InvalidInput naming what to change."""
    rule.name = " ".join(str(rule.name).split())
    if not rule.name:
        raise InvalidInput("Give the rule a name.", field="name")
    unknown = [s for s in rule.severities if s not in [level.value for level in Severity]]
    if not isinstance(rule.severities, list) or unknown:
        raise InvalidInput(
            f"severities must be a list of {', '.join(level.value for level in Severity)}.", field="severities"
        )
    rule.matchers = clean_matchers(rule.matchers)
    for field, choices in (("group_by", GroupBy), ("on_all_resolved", OnAllResolved), ("on_refire", OnRefire)):
        if getattr(rule, field) not in choices.values:
            raise InvalidInput(f"{field} must be one of {', '.join(choices.values)}.", field=field)
    if not isinstance(rule.group_labels, list) or not all(
        isinstance(label, str) and label for label in rule.group_labels
    ):
        raise InvalidInput(
            'group_labels must be a list of label names, e.g. ["alertname", "cluster"].', field="group_labels"
        )
    if rule.min_occurrences < 1:
        raise InvalidInput("min_occurrences must be 1 or more.", field="min_occurrences")
