"""Template filters for every Keel page: times in the viewer's zone with the zone named, counts."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


def zone_name() -> str:
    """The IANA name of the zone pages are rendered in (the signed-in user's own, else UTC)."""
    zone = timezone.get_current_timezone()
    return str(getattr(zone, "key", zone))


@register.simple_tag
def current_zone() -> str:
    return zone_name()


@register.filter
def when(value: datetime | None) -> SafeString | str:
    """``<time>`` in the viewer's zone, e.g. "3 Mar 2025, 14:05 CET", with the UTC instant for machines."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    abbreviation = local.tzname() or ""
    # Zones without a letter abbreviation report "+04"; their IANA name says more.
    label = abbreviation if abbreviation and abbreviation[0] not in "+-" else zone_name()
    shown = f"{local.day} {local:%b %Y, %H:%M} {label}"
    return format_html('<time datetime="{}" title="{}">{}</time>', value.isoformat(), zone_name(), shown)


@register.filter
def thousands(value: int) -> str:
    return f"{value:,}"


@register.filter
def duration(seconds: int | None) -> str:
    """Seconds in words people read at a glance: "2 h 10 min", "45 min", "30 s"."""
    if seconds is None:
        return "—"
    days, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    shown = " ".join(part for part in parts if part)
    return shown or f"{secs} s"
