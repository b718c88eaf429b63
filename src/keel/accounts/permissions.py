"""Who may use Keel's back office (the Django admin), from the capabilities of their role."""

from typing import Final

from keel.accounts.models import User
from keel.accounts.roles import Capability

# A role with any of these has pages in the admin: reference data, the CMDB, SLA and monitoring set-up.
ADMIN_CAPABILITIES: Final = frozenset(
    {Capability.ADMINISTER, Capability.MANAGE_CMDB, Capability.MANAGE_SLA, Capability.MANAGE_INTEGRATIONS}
)


def can_enter_admin(user: User) -> bool:
    return any(user.can(capability) for capability in ADMIN_CAPABILITIES)


def can_manage_in_admin(user: User, capability: Capability) -> bool:
    """See and edit, in the admin, the models that ``capability`` covers; administrators manage them all."""
    return user.can(capability) or user.can(Capability.ADMINISTER)
