"""Who and what the demo stories can use: people by part they play, teams, categories, services, CIs."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from keel.accounts.models import Team, User
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.models import Category

SERVICE_DESK = "service-desk"


@dataclass(frozen=True)
class Cast:
    agents: Sequence[User]
    manager: User
    monitoring: User
    requesters: Sequence[User]
    teams: Mapping[str, Team]
    # Who works each team's queue. Loaded after the memberships exist, so ``team_ids`` is right.
    members: Mapping[str, Sequence[User]]
    categories: Mapping[str, Category]
    services: Mapping[str, Service]
    cis: Mapping[str, ConfigurationItem]

    @property
    def resolver_groups(self) -> list[str]:
        return [slug for slug in self.teams if slug != SERVICE_DESK]
