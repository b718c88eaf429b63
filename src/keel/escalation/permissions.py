"""Who may see and change escalation policies: as for routing rules."""

from keel.accounts.models import User
from keel.accounts.roles import Capability


def can_read_escalation(user: User) -> bool:
    return user.is_staff_member


def can_manage_escalation(user: User) -> bool:
    return user.can(Capability.MANAGE_ROUTING)
