"""Who may see and change on-call schedules."""

from keel.accounts.models import User
from keel.accounts.roles import Capability


def can_read_oncall(user: User) -> bool:
    return user.is_staff_member


def can_manage_oncall(user: User) -> bool:
    return user.can(Capability.MANAGE_ONCALL)
