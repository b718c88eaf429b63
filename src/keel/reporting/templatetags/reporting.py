"""Template filters for what the reports show: whether someone may read the audit trail (the main menu's link)."""

from django import template

from keel.accounts.models import User
from keel.reporting.permissions import can_read_audit_trail

register = template.Library()


@register.filter
def reads_audit_trail(user: object) -> bool:
    return isinstance(user, User) and can_read_audit_trail(user)
