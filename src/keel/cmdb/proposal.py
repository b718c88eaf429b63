"""Keel's impact proposal for an incident on a CI: pure rules over what the CMDB and the queue say.

The rules are data (``RULES``), each with the level it proposes and the words that explain it. The
proposal is the highest level any rule gives; its reasons are every rule that gave that level.
Nothing here reads the database: incidents gathers the context and calls ``propose_impact``.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from keel.cmdb.kinds import Criticality


class ProposedImpact(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


RANK: Final = {ProposedImpact.HIGH: 3, ProposedImpact.MEDIUM: 2, ProposedImpact.LOW: 1}

# Users served by the services that depend on the CI, at or above which the impact is high / medium.
MANY_USERS: Final = 1_000
SOME_USERS: Final = 100
# Other incidents already open on the same CI at or above which more people are likely affected.
OPEN_INCIDENTS_WIDEN: Final = 2


@dataclass(frozen=True)
class ServiceAtRisk:
    """A business service that depends on the CI (distance 0 when the CI stands for the service itself)."""

    name: str
    users: int
    criticality: int
    distance: int


@dataclass(frozen=True)
class ImpactContext:
    ci_name: str
    ci_criticality: int
    services: Sequence[ServiceAtRisk]
    open_incidents: int  # other incidents open on this CI now

    @property
    def users(self) -> int:
        return sum(service.users for service in self.services)


@dataclass(frozen=True)
class Proposal:
    impact: ProposedImpact
    reasons: tuple[str, ...]


type Rule = tuple[ProposedImpact, Callable[[ImpactContext], list[str]]]


def _critical_services(context: ImpactContext) -> list[str]:
    return [
        f"{_service_phrase(service, context)} and is rated {Criticality(service.criticality).label}"
        for service in context.services
        if service.criticality <= Criticality.HIGH
    ]


def _other_services(context: ImpactContext) -> list[str]:
    return [_service_phrase(service, context) for service in context.services if service.criticality > Criticality.HIGH]


def _users_at_least(threshold: int, ceiling: int | None = None) -> Callable[[ImpactContext], list[str]]:
    def rule(context: ImpactContext) -> list[str]:
        users = context.users
        if users < threshold or (ceiling is not None and users >= ceiling):
            return []
        return [f"The services that depend on it serve {users:,} users"]

    return rule


def _ci_rated(level: Criticality) -> Callable[[ImpactContext], list[str]]:
    def rule(context: ImpactContext) -> list[str]:
        if context.ci_criticality != level:
            return []
        return [f"{context.ci_name} itself is rated {level.label}"]

    return rule


def _already_open(context: ImpactContext) -> list[str]:
    if context.open_incidents < OPEN_INCIDENTS_WIDEN:
        return []
    return [f"{context.open_incidents} other incidents are already open on {context.ci_name}: more people are affected"]


RULES: Final[tuple[Rule, ...]] = (
    (ProposedImpact.HIGH, _critical_services),
    (ProposedImpact.HIGH, _users_at_least(MANY_USERS)),
    (ProposedImpact.HIGH, _ci_rated(Criticality.CRITICAL)),
    (ProposedImpact.MEDIUM, _other_services),
    (ProposedImpact.MEDIUM, _users_at_least(SOME_USERS, ceiling=MANY_USERS)),
    (ProposedImpact.MEDIUM, _ci_rated(Criticality.HIGH)),
    (ProposedImpact.MEDIUM, _already_open),
)


def propose_impact(context: ImpactContext) -> Proposal:
    """The highest impact any rule gives, with every reason for that level (low when no rule applies)."""
    found = [(level, reason) for level, rule in RULES for reason in rule(context)]
    if not found:
        return Proposal(
            ProposedImpact.LOW,
            (f"No business service depends on {context.ci_name} and it is not rated critical",),
        )
    best = max((level for level, _ in found), key=RANK.__getitem__)
    return Proposal(best, tuple(reason for level, reason in found if level == best))


def _service_phrase(service: ServiceAtRisk, context: ImpactContext) -> str:
    users = f"{service.users:,} users"
    if service.distance == 0:
        return f"{context.ci_name} is the business service {service.name} ({users})"
    return f"{service.name} ({users}) depends on {context.ci_name}"
