"""Correlation as pure decisions over plain inputs: which rule an alert falls under, which group it
belongs to, whether it is ready to open an incident, whether planned maintenance covers it."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from keel.integrations.states import GroupBy
from keel.lib.errors import InvalidInput

OPERATORS: Final = ("=", "!=", "=~", "!~")


@dataclass(frozen=True)
class AlertFacts:
    """An alert as correlation sees it."""

    source_id: int
    severity: str
    labels: Mapping[str, str]
    ci_id: int | None
    service_id: int | None
    occurrences: int
    firing_since: datetime


@dataclass(frozen=True)
class RuleFacts:
    id: int
    source_id: int | None
    severities: Sequence[str]
    matchers: Sequence[Mapping[str, str]]
    opens_incident: bool
    min_occurrences: int
    min_firing_s: int
    group_by: str
    group_labels: Sequence[str]


@dataclass(frozen=True)
class WindowFacts:
    id: int
    starts_at: datetime
    ends_at: datetime
    matchers: Sequence[Mapping[str, str]]
    ci_id: int | None
    service_id: int | None


def matchers_hold(matchers: Sequence[Mapping[str, str]], labels: Mapping[str, str]) -> bool:
    """Alertmanager's matcher semantics: a missing label is the empty string; regexes match whole."""
    for matcher in matchers:
        value = labels.get(matcher["label"], "")
        wanted = matcher["value"]
        match matcher["op"]:
            case "=":
                holds = value == wanted
            case "!=":
                holds = value != wanted
            case "=~":
                holds = re.fullmatch(wanted, value) is not None
            case _:
                holds = re.fullmatch(wanted, value) is None
        if not holds:
            return False
    return True


def rule_for(alert: AlertFacts, rules: Sequence[RuleFacts]) -> RuleFacts | None:
    """The first rule (in order) whose source, severities and matchers all fit."""
    for rule in rules:
        if rule.source_id is not None and rule.source_id != alert.source_id:
            continue
        if rule.severities and alert.severity not in rule.severities:
            continue
        if matchers_hold(rule.matchers, alert.labels):
            return rule
    return None


def group_key(alert: AlertFacts, rule: RuleFacts) -> str:
    """What the alerts of one incident share under this rule, as text (the correlation's key).

    Grouping by service falls back to the CI and then to the labels, and by CI to the labels, so an
    alert Keel cannot place in the CMDB still groups with its like (same alertname by default).
    """
    if rule.group_by == GroupBy.SERVICE and alert.service_id is not None:
        return f"service:{alert.service_id}"
    if rule.group_by in {GroupBy.SERVICE, GroupBy.CI} and alert.ci_id is not None:
        return f"ci:{alert.ci_id}"
    names = rule.group_labels or ["alertname"]
    return "labels:" + ",".join(f"{name}={alert.labels.get(name, '')}" for name in names)[:480]


def ready_to_open(alert: AlertFacts, rule: RuleFacts, now: datetime) -> bool:
    return alert.occurrences >= rule.min_occurrences and (now - alert.firing_since).total_seconds() >= rule.min_firing_s


def covering_window(alert: AlertFacts, windows: Sequence[WindowFacts], now: datetime) -> WindowFacts | None:
    """The first maintenance window running now that covers the alert (by CI, service and matchers)."""
    for window in windows:
        if not window.starts_at <= now < window.ends_at:
            continue
        if window.ci_id is not None and window.ci_id != alert.ci_id:
            continue
        if window.service_id is not None and window.service_id != alert.service_id:
            continue
        if matchers_hold(window.matchers, alert.labels):
            return window
    return None


def clean_matchers(raw: object, *, field: str = "matchers") -> list[dict[str, str]]:
    """Matchers as given by a user, checked: ``[{"label": "env", "op": "=", "value": "prod"}]``."""
    if not isinstance(raw, list):
        raise InvalidInput(
            f'{field} must be a list such as [{{"label": "env", "op": "=", "value": "prod"}}].', field=field
        )
    cleaned = []
    for index, item in enumerate(raw):
        where = f"{field}[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("label"), str) or not item["label"].strip():
            raise InvalidInput(f'{where} needs a "label" (a label name).', field=field)
        op = item.get("op", "=")
        if op not in OPERATORS:
            raise InvalidInput(f'{where}: "op" must be one of {", ".join(OPERATORS)} (got {op!r}).', field=field)
        value = item.get("value", "")
        if not isinstance(value, str):
            raise InvalidInput(f'{where}: "value" must be text (got {value!r}).', field=field)
        if op in {"=~", "!~"}:
            _check_regex(value, where, field)
        cleaned.append({"label": item["label"].strip(), "op": op, "value": value})
    return cleaned


def _check_regex(value: str, where: str, field: str) -> None:
    try:
        re.compile(value)
    except re.error as error:
        raise InvalidInput(f"{where}: {value!r} is not a valid regular expression ({error}).", field=field) from error


def as_data(matchers: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [{"label": str(m["label"]), "op": str(m["op"]), "value": str(m["value"])} for m in matchers]
