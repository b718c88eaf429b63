"""What an agent sees about a CI while logging an incident on it, and Keel's impact proposal.

The CMDB says which business services depend on the CI (transitively) and how many people use
them; the incident queue says what is already open or recently broke on it. ``cmdb.proposal``
turns that into a proposed impact with its reasons; the agent accepts or overrides it, and
``open_incident`` writes the decision on the timeline.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from keel.accounts.models import User
from keel.cmdb.impact import Direction, impact_of
from keel.cmdb.models import ConfigurationItem, Service
from keel.cmdb.proposal import ImpactContext, Proposal, ProposedImpact, ServiceAtRisk, propose_impact
from keel.incidents.models import Incident
from keel.incidents.queries.records import attach_related, incidents_visible_to
from keel.incidents.states import DONE, OPEN, Level
from keel.lib import clock

# Far enough to reach the business services at the top of any realistic tree.
CONTEXT_DEPTH: Final = 10
RECENT_DAYS: Final = 30
SHOWN: Final = 5

LEVEL_FOR: Final = {ProposedImpact.HIGH: Level.HIGH, ProposedImpact.MEDIUM: Level.MEDIUM, ProposedImpact.LOW: Level.LOW}


@dataclass(frozen=True)
class CIContext:
    ci: ConfigurationItem
    services: list[tuple[Service, int]]  # (service, steps away), nearest first
    users: int
    open_incidents: list[Incident]
    open_count: int
    recent_incidents: list[Incident]
    proposal: Proposal

    @property
    def proposed_level(self) -> Level:
        return LEVEL_FOR[self.proposal.impact]


def ci_context(ci: ConfigurationItem, *, user: User) -> CIContext:
    """The CI's dependent services, its open and recent incidents (as this user may see them), the proposal."""
    visible = incidents_visible_to(user).filter(ci=ci)
    open_now = visible.filter(state__in=OPEN)
    open_list = list(open_now.order_by("priority", "-opened_at")[:SHOWN])
    since = clock.now() - timedelta(days=RECENT_DAYS)
    recent = list(visible.filter(state__in=DONE, resolved_at__gte=since).order_by("-resolved_at")[:SHOWN])
    attach_related([*open_list, *recent])
    services, proposal = _proposal(ci, open_incidents=open_now.count())
    return CIContext(
        ci=ci,
        services=services,
        users=sum(service.users for service, _ in services),
        open_incidents=open_list,
        open_count=open_now.count(),
        recent_incidents=recent,
        proposal=proposal,
    )


@dataclass(frozen=True)
class CIProposal:
    """Keel's proposal for a new incident on a CI, and what it was made from."""

    ci: ConfigurationItem
    services: list[tuple[Service, int]]  # (service, steps away), nearest first
    open_incidents: int  # every incident open on the CI now
    proposal: Proposal

    @property
    def users(self) -> int:
        return sum(service.users for service, _ in self.services)

    @property
    def level(self) -> Level:
        return LEVEL_FOR[self.proposal.impact]


def proposal_for(ci: ConfigurationItem) -> CIProposal:
    """Keel's proposal for a new incident on this CI, counting every incident open on it now."""
    open_incidents = Incident.objects.filter(ci=ci, state__in=OPEN).count()
    services, proposal = _proposal(ci, open_incidents=open_incidents)
    return CIProposal(ci=ci, services=services, open_incidents=open_incidents, proposal=proposal)


def _proposal(ci: ConfigurationItem, *, open_incidents: int) -> tuple[list[tuple[Service, int]], Proposal]:
    services = impact_of(ci, direction=Direction.UP, depth=CONTEXT_DEPTH).services
    context = ImpactContext(
        ci_name=ci.name,
        ci_criticality=ci.criticality,
        services=[
            ServiceAtRisk(service.name, service.users, service.criticality, distance) for service, distance in services
        ],
        open_incidents=open_incidents,
    )
    return services, propose_impact(context)


@dataclass(frozen=True)
class ImpactDecision:
    """What the agent did with Keel's proposal, as the timeline tells it.

    ``given`` is False when no impact was given (an API call leaving it out): the incident then
    took the proposal, which counts as accepted. ``held``: a requester's report, which keeps low
    impact until the service desk assesses it; the proposal waits for them.
    """

    proposal: Proposal
    chosen: Level
    given: bool = True
    held: bool = False

    @property
    def accepted(self) -> bool:
        return not self.held and LEVEL_FOR[self.proposal.impact] == self.chosen

    @property
    def summary(self) -> str:
        proposed = self.proposal.impact.value
        if self.held:
            held = f"Impact {self.chosen.label.lower()} until the service desk assesses it"
            return f"{held}; Keel proposed {proposed} from the CMDB"
        if not self.given:
            return f"Impact {proposed}, as Keel proposed from the CMDB (no impact was given)"
        if self.accepted:
            return f"Impact {proposed}, as Keel proposed from the CMDB"
        return f"Impact set to {self.chosen.label}; Keel proposed {proposed} from the CMDB"

    @property
    def body(self) -> str:
        return "Why Keel proposed it:\n" + "\n".join(f"- {reason}" for reason in self.proposal.reasons)

    def as_data(self) -> dict[str, object]:
        return {
            "proposed": self.proposal.impact.value,
            "chosen": self.chosen.label,
            "accepted": self.accepted,
            "given": self.given,
            "held": self.held,
            "reasons": list(self.proposal.reasons),
        }
