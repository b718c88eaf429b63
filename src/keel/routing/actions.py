"""Writes on routing rules, through the API, the console and the admin alike: each change validated
as the whole rule would be stored and audited field by field (subject ``routing_rule``), and the
rule set's version stamped anew in the same transaction, so every process reads the rules again."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from uuid import uuid4

from django.db import transaction

from keel.accounts.models import Team, User
from keel.audit.actions import create_audited, delete_audited, update_audited
from keel.cmdb.models import CIType, ConfigurationItem, Service
from keel.lib.conditional import IfMatch
from keel.lib.errors import Conflict, InvalidInput, NotAllowed
from keel.lib.names import claiming_name, refuse_taken_name
from keel.routing.decide import LEVELS
from keel.routing.models import GroupAssignment, RoutingRule, RuleSetVersion, Strategy
from keel.routing.permissions import can_manage_routing

SUBJECT: Final = "routing_rule"
STRATEGY_SUBJECT: Final = "group_assignment"
GROUP_FIELDS: Final = ("team", "strategy")
# What people set on a rule: all of it.
RULE_FIELDS: Final = (
    *("name", "position", "is_active", "description"),
    *("category_ids", "subcategory_ids", "service_ids", "ci_ids", "ci_type_ids", "channels", "priorities"),
    *("caller_vip", "caller_departments", "caller_locations", "source_ids", "labels", "words"),
    *("assignment_group", "set_urgency", "set_impact"),
)
# Channels as incidents store them (routing cannot import incidents' Channel; tests/routing checks they agree).
CHANNELS: Final = ("portal", "phone", "email", "monitoring", "api", "chat", "walk_in")
PRIORITIES: Final = (1, 2, 3, 4, 5)


def create_rule(*, actor: User | None, fields: Mapping[str, Any]) -> RoutingRule:
    """Add a routing rule of these ``RULE_FIELDS`` (the others take their defaults)."""
    _check_may_manage(actor)
    _refuse_unknown(fields)
    rule = RoutingRule(**fields)
    check_rule(rule)
    refuse_taken_name(RoutingRule.objects.all(), rule.name, what="routing rule")
    with claiming_name("routing rule", rule.name), transaction.atomic():
        create_audited(rule, subject_type=SUBJECT, actor=actor)
        _stamp()
    return rule


def update_rule(
    rule: RoutingRule, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> RoutingRule:
    """Change these fields of the rule, checked as the whole rule would be stored; only the fields
    that differ are written, and a change of nothing is a no-op."""
    _check_may_manage(actor)
    _refuse_unknown(changes)
    candidate = RoutingRule(**{**{name: getattr(rule, name) for name in RULE_FIELDS}, **changes})
    check_rule(candidate)
    checked = {name: getattr(candidate, name) for name in changes}
    if "name" in checked:
        refuse_taken_name(RoutingRule.objects.all(), candidate.name, what="routing rule", but=rule.pk)
    with claiming_name("routing rule", candidate.name), transaction.atomic():
        changed = update_audited(
            rule, checked, subject_type=SUBJECT, actor=actor, allowed=RULE_FIELDS, if_match=if_match
        )
        if changed:
            _stamp()
    return rule


def delete_rule(rule: RoutingRule, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    """Remove the rule; incidents it routed keep their group and their timeline says which rule it was."""
    _check_may_manage(actor)
    with transaction.atomic():
        delete_audited(
            rule, subject_type=SUBJECT, actor=actor, refusal=f"Rule {rule.name!r} is in use.", if_match=if_match
        )
        _stamp()


def check_rule(rule: RoutingRule) -> None:
    """Normalise the rule in place (names trimmed, lists deduplicated in order); InvalidInput
    naming the field to change when it cannot be stored as it is."""
    rule.name = " ".join(str(rule.name).split())
    if not rule.name:
        raise InvalidInput("Give the rule a name, e.g. 'Wi-Fi on site'.", field="name")
    if rule.assignment_group_id is None:
        raise InvalidInput("Give the assignment group the rule routes to.", field="assignment_group")
    for name, model in (("service_ids", Service), ("ci_ids", ConfigurationItem), ("ci_type_ids", CIType)):
        setattr(rule, name, _existing_ids(getattr(rule, name), model, field=name))
    for name in ("category_ids", "subcategory_ids", "source_ids"):
        setattr(rule, name, _ids(getattr(rule, name), field=name))
    rule.channels = _words_from(rule.channels, CHANNELS, field="channels")
    rule.priorities = _words_from(rule.priorities, PRIORITIES, field="priorities")
    for name in ("caller_departments", "caller_locations", "words"):
        setattr(rule, name, _texts(getattr(rule, name), field=name))
    rule.labels = _labels(rule.labels)
    for name in ("set_urgency", "set_impact"):
        value = getattr(rule, name)
        if value is not None and value not in LEVELS.values():
            raise InvalidInput(f"{name} must be 1 (high), 2 (medium) or 3 (low), or empty.", field=name)


def _stamp() -> None:
    """A new version of the rule set, in the writing transaction (``queries.active_rules``)."""
    RuleSetVersion.objects.update_or_create(pk=1, defaults={"stamp": uuid4().hex})


def _check_may_manage(actor: User | None) -> None:
    if actor is not None and not can_manage_routing(actor):
        raise NotAllowed("Only incident managers and administrators manage routing rules.")


def _refuse_unknown(fields: Mapping[str, Any]) -> None:
    _refuse_unknown_of(fields, RULE_FIELDS)


def _refuse_unknown_of(fields: Mapping[str, Any], known: Sequence[str]) -> None:
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise InvalidInput(f"These fields cannot be set: {', '.join(unknown)}.", field=unknown[0])


def _list(value: object, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput(f"{field} must be a list.", field=field)
    return list(dict.fromkeys(value))


def _ids(value: object, *, field: str) -> list[int]:
    ids = _list(value, field)
    if not all(isinstance(pk, int) and not isinstance(pk, bool) and pk > 0 for pk in ids):
        raise InvalidInput(f"{field} must be a list of ids (whole numbers above 0).", field=field)
    return ids


def _existing_ids(value: object, model: type[Service | ConfigurationItem | CIType], *, field: str) -> list[int]:
    ids = _ids(value, field=field)
    missing = sorted(set(ids) - set(model.objects.filter(pk__in=ids).values_list("pk", flat=True)))
    if missing:
        raise InvalidInput(f"{field}: no {model._meta.verbose_name} has the id {missing[0]}.", field=field)
    return ids


def _words_from[T](value: object, allowed: Sequence[T], *, field: str) -> list[T]:
    chosen = _list(value, field)
    if not all(choice in allowed for choice in chosen):
        raise InvalidInput(f"{field} takes a list of {', '.join(map(str, allowed))}.", field=field)
    return chosen


def _texts(value: object, *, field: str) -> list[str]:
    texts = _list(value, field)
    if not all(isinstance(text, str) for text in texts):
        raise InvalidInput(f"{field} must be a list of words.", field=field)
    cleaned = [" ".join(text.split()) for text in texts]
    if not all(cleaned) or any(len(text) > 100 for text in cleaned):
        raise InvalidInput(f"{field}: each entry needs 1 to 100 characters.", field=field)
    return list(dict.fromkeys(cleaned))


def _labels(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(name, str) and name and isinstance(text, str) for name, text in value.items()
    ):
        raise InvalidInput(
            'labels must be an object of label names and values, e.g. {"site": "paris"}.', field="labels"
        )
    return dict(value)


# --- group assignment strategies -------------------------------------------------------------


def create_group_assignment(*, actor: User | None, fields: Mapping[str, Any]) -> GroupAssignment:
    """Give a group a strategy (``team``, ``strategy``); a group has at most one."""
    _check_may_manage(actor)
    _refuse_unknown_of(fields, GROUP_FIELDS)
    team = fields.get("team")
    if not isinstance(team, Team):
        raise InvalidInput("Give the assignment group (team) the strategy is for.", field="team")
    if GroupAssignment.objects.filter(team=team).exists():
        raise Conflict(f"{team} has a strategy already; change it (PATCH) instead.", field="team")
    row = GroupAssignment(team=team, strategy=_strategy(fields.get("strategy", Strategy.ROUND_ROBIN)))
    return create_audited(row, subject_type=STRATEGY_SUBJECT, actor=actor)


def update_group_assignment(
    row: GroupAssignment, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> GroupAssignment:
    """Change the group's strategy (the turn is kept)."""
    _check_may_manage(actor)
    _refuse_unknown_of(changes, ("strategy",))
    checked = {name: _strategy(value) for name, value in changes.items()}
    update_audited(row, checked, subject_type=STRATEGY_SUBJECT, actor=actor, allowed=("strategy",), if_match=if_match)
    return row


def delete_group_assignment(row: GroupAssignment, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    """The group works manually again: routed incidents wait in its queue."""
    _check_may_manage(actor)
    delete_audited(row, subject_type=STRATEGY_SUBJECT, actor=actor, refusal="", if_match=if_match)


def set_group_strategy(team: Team, *, actor: User | None, strategy: object) -> GroupAssignment | None:
    """How ``team`` hands out routed incidents, whatever it did before: ``manual`` takes its
    strategy away (its queue again), another gives or changes it. None: the group works manually."""
    chosen = _strategy(strategy)
    current = GroupAssignment.objects.filter(team=team).first()
    if chosen == Strategy.MANUAL:
        if current is not None:
            delete_group_assignment(current, actor=actor)
        return None
    if current is None:
        return create_group_assignment(actor=actor, fields={"team": team, "strategy": chosen})
    return update_group_assignment(current, actor=actor, changes={"strategy": chosen})


def _strategy(value: object) -> Strategy:
    if value not in Strategy.values:
        raise InvalidInput(f"strategy must be one of {', '.join(Strategy.values)}.", field="strategy")
    return Strategy(str(value))


def take_turn(team: Team, *, pick: Callable[[GroupAssignment], User | None]) -> tuple[User | None, Strategy]:
    """Lock the group's turn, let ``pick`` choose a member, and remember who it was; the member
    (None, the turn unchanged, for a group that works manually or when ``pick`` finds nobody) and
    the group's strategy. Call it inside
    the transaction that assigns the incident, so the lock holds until that commits."""
    row = GroupAssignment.objects.select_for_update().filter(team=team).first()
    if row is None or row.strategy == Strategy.MANUAL:
        return None, Strategy.MANUAL
    member = pick(row)
    if member is not None:
        row.last_assignee = member
        row.save(update_fields=["last_assignee"])
    return member, Strategy(row.strategy)
