"""Who may do what to the CMDB. Everyone signed in reads it; configuration managers and admins change it."""

from keel.accounts.models import User
from keel.accounts.roles import Capability


def can_read_cmdb(user: User) -> bool:
    return user.is_active


def can_manage_cmdb(user: User) -> bool:
    return user.can(Capability.MANAGE_CMDB)
