"""Template filters for monitoring pages."""

import json

from django import template

from keel.incidents.models import number_for

register = template.Library()


@register.filter
def incident_number(incident_id: int) -> str:
    """An alert's incident id as people know it: INC0000042."""
    return number_for(incident_id)


@register.filter
def size(octets: int | None) -> str:
    """A payload's size in words: "812 B", "14.2 kB"."""
    if octets is None:
        return "—"
    if octets < 1000:
        return f"{octets} B"
    if octets < 1_000_000:
        return f"{octets / 1000:.1f} kB"
    return f"{octets / 1_000_000:.1f} MB"


@register.filter
def pretty_json(value: object) -> str:
    """A JSON value as people read it, indented."""
    return json.dumps(value, indent=2, ensure_ascii=False)
