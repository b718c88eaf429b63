"""Writes on escalation policies (validated as the whole policy would be stored, audited field by
field under subject ``escalation_policy``) and the record of steps that fired."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from django.db import transaction

from keel.accounts.models import Team, User
from keel.audit.actions import create_audited, delete_audited, update_audited
from keel.escalation.models import EscalationPolicy
from keel.escalation.permissions import can_manage_escalation
from keel.escalation.rows import insert_fired
from keel.escalation.steps import parse_steps, steps_json
from keel.lib.conditional import IfMatch
from keel.lib.errors import InvalidInput, NotAllowed
from keel.lib.names import claiming_name, refuse_taken_name

SUBJECT: Final = "escalation_policy"
POLICY_FIELDS: Final = ("name", "position", "is_active", "description", "priorities", "group_ids", "channels", "steps")
# Channels as incidents store them (tests/escalation checks they agree with incidents' Channel).
CHANNELS: Final = ("portal", "phone", "email", "monitoring", "api", "chat", "walk_in")

# One fired step: (incident id, policy id, step key, clock id or 0, recipient ids).
Firing = tuple[int, int, str, int, Sequence[int]]


def create_policy(*, actor: User | None, fields: Mapping[str, Any]) -> EscalationPolicy:
    _check_may_manage(actor)
    _refuse_unknown(fields)
    policy = EscalationPolicy(**fields)
    check_policy(policy)
    refuse_taken_name(EscalationPolicy.objects.all(), policy.name, what="escalation policy")
    with claiming_name("escalation policy", policy.name), transaction.atomic():
        create_audited(policy, subject_type=SUBJECT, actor=actor)
    return policy


def update_policy(
    policy: EscalationPolicy, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> EscalationPolicy:
    """Change these fields, checked as the whole policy would be stored; a step sent back with its
    ``key`` keeps it (and does not fire again where it fired), a step without one is new."""
    _check_may_manage(actor)
    _refuse_unknown(changes)
    candidate = EscalationPolicy(**{**{name: getattr(policy, name) for name in POLICY_FIELDS}, **changes})
    check_policy(candidate)
    checked = {name: getattr(candidate, name) for name in changes}
    if "name" in checked:
        refuse_taken_name(EscalationPolicy.objects.all(), candidate.name, what="escalation policy", but=policy.pk)
    with claiming_name("escalation policy", candidate.name), transaction.atomic():
        update_audited(policy, checked, subject_type=SUBJECT, actor=actor, allowed=POLICY_FIELDS, if_match=if_match)
    return policy


def delete_policy(policy: EscalationPolicy, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    """Remove the policy; incidents it escalated keep their timeline."""
    _check_may_manage(actor)
    delete_audited(
        policy, subject_type=SUBJECT, actor=actor, refusal=f"Policy {policy.name!r} is in use.", if_match=if_match
    )


def check_policy(policy: EscalationPolicy) -> None:
    """Normalise the policy in place (name trimmed, lists deduplicated, steps keyed); InvalidInput
    naming the field to change when it cannot be stored as it is."""
    policy.name = " ".join(str(policy.name).split())
    if not policy.name:
        raise InvalidInput("Give the policy a name, e.g. 'P1 and P2 response'.", field="name")
    policy.priorities = _from(policy.priorities, (1, 2, 3, 4, 5), field="priorities")
    policy.channels = _from(policy.channels, CHANNELS, field="channels")
    group_ids = _from(policy.group_ids, None, field="group_ids")
    known = set(Team.objects.filter(pk__in=group_ids).values_list("pk", flat=True))
    missing = [str(pk) for pk in group_ids if pk not in known]
    if missing:
        raise InvalidInput(f"No assignment group has id {', '.join(missing)}.", field="group_ids")
    policy.group_ids = group_ids
    policy.steps = steps_json(parse_steps(policy.steps))


def record_fired(firings: Sequence[Firing], *, at: datetime) -> set[tuple[int, int, str, int]]:
    """Store the steps that fire now, in the caller's transaction; returns those that were not
    already stored (by another worker, or an earlier sweep): only those are announced."""
    rows = [
        {
            "incident_id": incident_id,
            "policy_id": policy_id,
            "step_key": key,
            "clock_id": clock_id,
            "fired_at": at,
            "recipient_ids": list(recipients),
        }
        for incident_id, policy_id, key, clock_id, recipients in firings
    ]
    return insert_fired(rows)


def _from(values: object, allowed: Sequence[Any] | None, *, field: str) -> list[Any]:
    if not isinstance(values, list | tuple):
        raise InvalidInput(f"{field} must be a list.", field=field)
    if allowed is None:
        wrong = [value for value in values if not isinstance(value, int) or isinstance(value, bool) or value < 1]
        if wrong:
            raise InvalidInput(f"{field} must list ids (whole numbers from 1).", field=field)
    else:
        wrong = [value for value in values if value not in allowed]
        if wrong:
            choices = ", ".join(map(str, allowed))
            raise InvalidInput(f"{field}: {wrong[0]} is not one of {choices}.", field=field)
    return list(dict.fromkeys(values))


def _check_may_manage(actor: User | None) -> None:
    if actor is not None and not can_manage_escalation(actor):
        raise NotAllowed("Only incident managers and administrators manage escalation policies.")


def _refuse_unknown(fields: Mapping[str, Any]) -> None:
    unknown = sorted(set(fields) - set(POLICY_FIELDS))
    if unknown:
        raise InvalidInput(f"These fields cannot be set: {', '.join(unknown)}.", field=unknown[0])
