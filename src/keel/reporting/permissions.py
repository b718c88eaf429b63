"""Who may read the reports: predicates over the user, nothing else."""

from keel.accounts.models import User
from keel.accounts.roles import Capability


def can_read_audit_trail(user: User) -> bool:
    """The whole audit trail (every record's changes, who made them, old and new values): administrators."""
    return user.can(Capability.ADMINISTER)


def can_read_hotspots(user: User) -> bool:
    """Incidents per CI and service: IT staff."""
    return user.can(Capability.VIEW_ALL_INCIDENTS)
