"""Which routing rule a new incident meets, and what it changes before the incident is stored:
the one code path of ``open_incident`` and of the rule tester (``route_report``)."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Model

from keel.accounts.models import Team, User
from keel.cmdb.models import CIType, ConfigurationItem, Service
from keel.incidents.models import Category
from keel.incidents.queries.context import proposal_for
from keel.incidents.queries.records import priority_for
from keel.incidents.states import Channel, Level
from keel.routing.decide import LEVEL_NAMES, AlertOrigin, Routing, RoutingFacts, explain, route
from keel.routing.models import GroupAssignment, RoutingRule, Strategy
from keel.routing.queries import active_rules, group_assignments, routing_rules


@dataclass(frozen=True)
class Report:
    """A new incident as the caller and the desk described it, before it is stored."""

    title: str
    caller: User
    channel: Channel
    description: str = ""
    category: Category | None = None
    subcategory: Category | None = None
    service: Service | None = None
    ci: ConfigurationItem | None = None
    origin: AlertOrigin | None = None


@dataclass(frozen=True)
class Routed:
    """Which rule routes a report (``routing.rule``; None: none does), and the impact, urgency and
    priority the incident is stored with once the rule has set its levels."""

    routing: Routing
    impact: Level
    urgency: Level
    priority: int

    def group(self) -> Team | None:
        """Where it goes: the rule's group, else the default group."""
        rule = self.routing.rule
        return Team.objects.filter(pk=rule.group_id).first() if rule else default_group()


def route_report(report: Report, *, impact: Level, urgency: Level, explained: bool = False) -> Routed:
    """Try the active rules in order on the report, given the impact and urgency it was logged with;
    ``explained``: with why each rule before the one that matched did not (the tester)."""
    caller, ci = report.caller, report.ci
    priority = priority_for(impact, urgency)
    facts = RoutingFacts(
        title=report.title,
        description=report.description,
        category_id=report.category.pk if report.category else None,
        subcategory_id=report.subcategory.pk if report.subcategory else None,
        service_id=report.service.pk if report.service else None,
        ci_id=ci.pk if ci else None,
        ci_type_id=ci.ci_type_id if ci else None,
        channel=str(report.channel),
        priority=priority,
        caller_vip=caller.is_vip,
        caller_department=caller.department,
        caller_location=caller.location,
        origin=report.origin,
    )
    routing = (explain if explained else route)(facts, active_rules())
    rule = routing.rule
    if rule is None or (rule.set_impact is None and rule.set_urgency is None):
        return Routed(routing, impact, urgency, priority)
    impact, urgency = Level(rule.set_impact or impact), Level(rule.set_urgency or urgency)
    return Routed(routing, impact, urgency, priority_for(impact, urgency))


def preview_routing(report: Report, *, impact: Level | None, urgency: Level) -> Routed:
    """The rule tester: routes the incident the service desk would log (its impact, when not given,
    Keel's proposal from the CMDB, as on create) and writes nothing."""
    ci = report.ci
    chosen = Level(impact) if impact is not None else proposal_for(ci).level if ci is not None else Level.LOW
    return route_report(report, impact=chosen, urgency=urgency, explained=True)


def default_group() -> Team | None:
    """Where an incident no rule routes goes (``KEEL_ROUTING_DEFAULT_GROUP``); None: nowhere yet."""
    slug = settings.KEEL_ROUTING_DEFAULT_GROUP
    return Team.objects.filter(slug=slug).first() if slug else None


@dataclass(frozen=True)
class DescribedRule:
    """A rule as the rules page shows it: its conditions in words, names for ids."""

    rule: RoutingRule
    conditions: list[str]
    changes: list[str]


def described_rules() -> list[DescribedRule]:
    """Every routing rule in the order they are tried, with its conditions in words (four queries
    for the names, however many rules)."""
    rules = list(routing_rules())
    names = {
        "category": _names(Category, rules, "category_ids", "subcategory_ids"),
        "service": _names(Service, rules, "service_ids"),
        "ci": _names(ConfigurationItem, rules, "ci_ids"),
        "ci_type": _names(CIType, rules, "ci_type_ids"),
    }
    return [DescribedRule(rule, _conditions(rule, names), _changes(rule)) for rule in rules]


def _names(model: type[Model], rules: list[RoutingRule], *fields: str) -> dict[int, str]:
    ids = {pk for rule in rules for field in fields for pk in getattr(rule, field)}
    return {pk: str(record) for pk, record in model._default_manager.in_bulk(ids).items()} if ids else {}


def _conditions(rule: RoutingRule, names: dict[str, dict[int, str]]) -> list[str]:
    def named(kind: str, ids: list[int]) -> str:
        return ", ".join(names[kind].get(pk, f"#{pk} (gone)") for pk in ids)

    channels = dict(Channel.choices)
    listed = [
        ("Words", ", ".join(rule.words)),
        ("Category", named("category", rule.category_ids)),
        ("Subcategory", named("category", rule.subcategory_ids)),
        ("Service", named("service", rule.service_ids)),
        ("CI", named("ci", rule.ci_ids)),
        ("CI type", named("ci_type", rule.ci_type_ids)),
        ("Channel", ", ".join(str(channels.get(channel, channel)) for channel in rule.channels)),
        ("Priority", ", ".join(f"P{priority}" for priority in rule.priorities)),
        ("Caller", {None: "", True: "VIP", False: "not a VIP"}[rule.caller_vip]),
        ("Department", ", ".join(rule.caller_departments)),
        ("Location", ", ".join(rule.caller_locations)),
        ("Monitoring source", ", ".join(f"#{pk}" for pk in rule.source_ids)),
        ("Alert labels", ", ".join(f"{name}={value}" for name, value in rule.labels.items())),
    ]
    return [f"{label}: {value}" for label, value in listed if value] or ["Any incident"]


def _changes(rule: RoutingRule) -> list[str]:
    return [
        f"{name} → {LEVEL_NAMES[level]}"
        for name, level in (("Impact", rule.set_impact), ("Urgency", rule.set_urgency))
        if level is not None
    ]


@dataclass(frozen=True)
class GroupStrategy:
    """A group as the routing page shows it: how it hands out routed incidents."""

    team: Team
    assignment: GroupAssignment | None

    @property
    def strategy(self) -> str:
        return self.assignment.strategy if self.assignment else Strategy.MANUAL


def group_strategies() -> list[GroupStrategy]:
    """Every team with its strategy (manual when it has none), by name."""
    assignments = {row.team_id: row for row in group_assignments()}
    return [GroupStrategy(team, assignments.get(team.pk)) for team in Team.objects.order_by("name")]
