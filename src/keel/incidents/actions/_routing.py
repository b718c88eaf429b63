"""The incidents side of routing: a new incident's facts for the rules, what the rule that matched
changes before the incident is stored, and the assignment it makes after (``open_incident``)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from keel.accounts.models import Team, User
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.actions.assignment import apply_assignment
from keel.incidents.models import Category, Incident
from keel.incidents.states import Channel, Level
from keel.routing.decide import LEVEL_NAMES, AlertOrigin, Routing, RoutingFacts, route
from keel.routing.queries import active_rules


@dataclass(frozen=True)
class Report:
    """A new incident as the caller and the desk described it, before it is stored."""

    title: str
    description: str
    caller: User
    channel: Channel
    category: Category | None
    subcategory: Category | None
    service: Service | None
    ci: ConfigurationItem | None
    priority: int
    origin: AlertOrigin | None


def routing_for(report: Report) -> Routing:
    """Which rule routes this report, tried against the active rules in order."""
    caller = report.caller
    facts = RoutingFacts(
        title=report.title,
        description=report.description,
        category_id=report.category.pk if report.category else None,
        subcategory_id=report.subcategory.pk if report.subcategory else None,
        service_id=report.service.pk if report.service else None,
        ci_id=report.ci.pk if report.ci else None,
        ci_type_id=report.ci.ci_type_id if report.ci else None,
        channel=str(report.channel),
        priority=report.priority,
        caller_vip=caller.is_vip,
        caller_department=caller.department,
        caller_location=caller.location,
        origin=report.origin,
    )
    return route(facts, active_rules())


def adjusted_levels(routing: Routing, *, impact: Level, urgency: Level) -> tuple[Level, Level]:
    """The impact and urgency the incident is stored with: the rule's, where it sets them."""
    rule = routing.rule
    if rule is None:
        return impact, urgency
    return Level(rule.set_impact or impact), Level(rule.set_urgency or urgency)


def assign_routed(incident: Incident, routing: Routing, *, fallback: Team | None, now: datetime) -> None:
    """Assign the new incident as ``routing`` decided; when no rule matched, to ``fallback`` (the
    group its monitoring source or CI names) or else the default group (``KEEL_ROUTING_DEFAULT_GROUP``).
    The timeline says which rule it was. Keel is the actor."""
    rule = routing.rule
    data: dict[str, Any]
    if rule is None:
        default = settings.KEEL_ROUTING_DEFAULT_GROUP
        group = fallback or (Team.objects.filter(slug=default).first() if default else None)
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
