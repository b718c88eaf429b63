"""The assignment routing makes when an incident is opened (``open_incident``); which rule it is
and what it changes before the incident is stored is ``queries/routing.py``."""

from datetime import datetime
from typing import Any

from keel.accounts.models import Team
from keel.incidents.actions.assignment import apply_assignment
from keel.incidents.models import Incident
from keel.incidents.queries.routing import default_group
from keel.routing.decide import LEVEL_NAMES, Routing


def assign_routed(incident: Incident, routing: Routing, *, fallback: Team | None, now: datetime) -> None:
    """Assign the new incident as ``routing`` decided; when no rule matched, to ``fallback`` (the
    group its monitoring source or CI names) or else the default group (``KEEL_ROUTING_DEFAULT_GROUP``).
    The timeline says which rule it was. Keel is the actor."""
    rule = routing.rule
    data: dict[str, Any]
    if rule is None:
        group = fallback or default_group()
        if group is None:
            return
        reason = "the monitoring source's or CI's group" if fallback else "the default group"
        summary, data = f"Routed to {group}: no routing rule matched, so {reason}", {"routing_rule_id": None}
    else:
        group = Team.objects.get(pk=rule.group_id)
        summary, data = f"Routed to {group} by rule '{rule.name}'", {"routing_rule_id": rule.id}
        changes = [
            f"{name} set to {LEVEL_NAMES[level]}"
            for name, level in (("impact", rule.set_impact), ("urgency", rule.set_urgency))
            if level is not None
        ]
        if changes:
            summary += f" ({', '.join(changes)})"
    apply_assignment(incident, actor=None, group=group, assignee=None, note="", now=now, summary=summary, data=data)
