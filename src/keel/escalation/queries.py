"""Reads of escalation policies: as people list and find them, and as the sweep takes them."""

from django.db.models import QuerySet

from keel.escalation.models import EscalationPolicy, Fired
from keel.escalation.steps import PolicySpec, parse_steps
from keel.lib.errors import NotFound
from keel.lib.references import by_reference


def escalation_policies() -> QuerySet[EscalationPolicy]:
    return EscalationPolicy.objects.order_by("position", "id")


def get_policy(reference: str | int) -> EscalationPolicy:
    """The policy a URL names (its id or exact name); NotFound otherwise."""
    return by_reference(
        escalation_policies(),
        reference,
        key="name",
        field="id",
        what="escalation policy",
        give="a policy id or name",
        missing=NotFound,
    )


def active_policies() -> tuple[PolicySpec, ...]:
    """The active policies in order, as the sweep matches them (a handful of rows)."""
    return tuple(
        PolicySpec(
            id=policy.pk,
            name=policy.name,
            priorities=frozenset(policy.priorities),
            group_ids=frozenset(policy.group_ids),
            channels=frozenset(policy.channels),
            steps=parse_steps(policy.steps),
        )
        for policy in escalation_policies().filter(is_active=True)
    )


def fired_steps() -> QuerySet[Fired]:
    return Fired.objects.all()
