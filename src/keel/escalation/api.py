"""REST API v1 for escalation policies: list, add, read, change, remove."""

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from ninja import Router

from keel.accounts.api import user_of
from keel.accounts.models import User
from keel.escalation import actions
from keel.escalation.models import EscalationPolicy
from keel.escalation.permissions import can_read_escalation
from keel.escalation.queries import escalation_policies, get_policy
from keel.escalation.schemas import EscalationPolicyIn, EscalationPolicyOut, EscalationPolicyPatch
from keel.escalation.steps import parse_steps
from keel.idempotency.api import idempotent
from keel.lib.errors import NotAllowed
from keel.lib.resources import Access, Resources

router = Router(tags=["escalation"])


def _reader(request: HttpRequest) -> User:
    user = user_of(request)
    if not can_read_escalation(user):
        raise NotAllowed("Only IT staff can see escalation policies.")
    return user


def policy_json(policy: EscalationPolicy) -> dict[str, Any]:
    shown = {name: getattr(policy, name) for name in EscalationPolicyOut.model_fields if name != "steps"}
    steps = [{**step.as_json(), "summary": step.describe()} for step in parse_steps(policy.steps)]
    return {**shown, "steps": steps}


def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The request's steps as stored: without the fields a step left empty."""
    fields = dict(data)
    if fields.get("steps") is not None:
        fields["steps"] = [{k: v for k, v in step.items() if v is not None} for step in fields["steps"]]
    return fields


resource = Resources(router, __name__, Access(read=_reader, write=user_of, once=idempotent))
POLICIES = resource(
    "/escalation/policies",
    one="escalation_policy",
    many="escalation_policies",
    find=get_policy,
    document=policy_json,
    out=EscalationPolicyOut,
    fields=_fields,
)
POLICIES.listing(escalation_policies)
POLICIES.creating(EscalationPolicyIn, actions.create_policy)
POLICIES.reading()
POLICIES.changing(EscalationPolicyPatch, actions.update_policy)
POLICIES.deleting(actions.delete_policy)
