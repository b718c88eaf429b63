"""Which routing rule a new incident meets, and what it changes before the incident is stored:
the one code path of ``open_incident`` and of the rule tester (``preview_routing``)."""

from dataclasses import dataclass

from django.conf import settings

from keel.accounts.models import Team, User
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.models import Category
from keel.incidents.queries.context import proposal_for
from keel.incidents.queries.records import priority_for
from keel.incidents.states import Channel, Level
from keel.routing.decide import AlertOrigin, Routing, RoutingFacts, route
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


@dataclass(frozen=True)
class Preview:
    """Where an incident of these facts would go, and with which impact, urgency and priority."""

    routing: Routing
    group: Team | None
    impact: Level
    urgency: Level
    priority: int


def preview_routing(
    *,
    caller: User,
    title: str,
    description: str = "",
    channel: Channel = Channel.PHONE,
    category: Category | None = None,
    subcategory: Category | None = None,
    service: Service | None = None,
    ci: ConfigurationItem | None = None,
    impact: Level | None = None,
    urgency: Level = Level.LOW,
    origin: AlertOrigin | None = None,
) -> Preview:
    """The rule tester: routes the incident the service desk would log with these fields (its
    impact, when not given, Keel's proposal from the CMDB, as on create) and writes nothing."""
    chosen = Level(impact) if impact is not None else proposal_for(ci).level if ci is not None else Level.LOW
    report = Report(
        title=title,
        description=description,
        caller=caller,
        channel=channel,
        category=category,
        subcategory=subcategory,
        service=service,
        ci=ci,
        priority=priority_for(chosen, Level(urgency)),
        origin=origin,
    )
    routing = routing_for(report)
    impact_now, urgency_now = adjusted_levels(routing, impact=chosen, urgency=Level(urgency))
    group = Team.objects.filter(pk=routing.rule.group_id).first() if routing.rule else default_group()
    return Preview(routing, group, impact_now, urgency_now, priority_for(impact_now, urgency_now))


def default_group() -> Team | None:
    """Where an incident no rule routes goes (``KEEL_ROUTING_DEFAULT_GROUP``); None: nowhere yet."""
    slug = settings.KEEL_ROUTING_DEFAULT_GROUP
    return Team.objects.filter(slug=slug).first() if slug else None
