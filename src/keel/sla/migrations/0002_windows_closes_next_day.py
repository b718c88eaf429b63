"""Calendars stored before windows carried ``closes_next_day``: mark each window that closes at or
before it opens (B2's night shift, as the engine always read it), so editing such a calendar later
does not refuse its own night shift. Versions (what clocks count with) are untouched."""

from typing import Any

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def _minutes(text: object) -> int:
    hours, minutes = str(text).strip().split(":")
    return (int(hours) * 60 + int(minutes)) % (24 * 60)


def mark_next_day_windows(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    calendar_model: Any = apps.get_model("sla", "Calendar")
    for calendar in calendar_model.objects.all():
        windows = [
            {**window, "closes_next_day": _minutes(window["closes"]) <= _minutes(window["opens"])}
            for window in calendar.windows
        ]
        if windows != calendar.windows:
            calendar.windows = windows
            calendar.save(update_fields=["windows"])


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(mark_next_day_windows, migrations.RunPython.noop)]
