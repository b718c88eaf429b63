"""Who may do what with monitoring integrations."""

from keel.accounts.models import User
from keel.accounts.roles import Capability


def can_manage_integrations(user: User) -> bool:
    """Sources (and their secrets), correlation rules and maintenance windows."""
    return user.can(Capability.MANAGE_INTEGRATIONS)


def can_see_alerts(user: User) -> bool:
    return user.is_staff_member


def can_acknowledge_alert(user: User) -> bool:
    return user.is_staff_member
