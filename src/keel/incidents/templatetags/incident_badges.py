"""Template filters that need the incident vocabulary (lib's filters cannot import it)."""

from django import template

from keel.incidents.states import PRIORITY_NAMES, Priority

register = template.Library()


@register.filter
def priority_name(value: int) -> str:
    """``1`` → "Critical": the word that goes with the P-number on every badge."""
    return PRIORITY_NAMES[Priority(value)]
