"""Who may read and change SLA calendars and policies."""

from keel.accounts.models import User
from keel.accounts.roles import Capability


def can_read_sla_setup(user: User) -> bool:
    return user.is_staff_member


def can_manage_sla(user: User) -> bool:
    return user.can(Capability.MANAGE_SLA)
