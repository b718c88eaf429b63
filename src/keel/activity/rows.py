"""The hand-written writes of activity (DESIGN §4.8): timeline entries, which every action adds one
of, inserted without the ORM's ``save()`` (it cost a create a quarter of its CPU; bench/README.md)."""

from collections.abc import Mapping, Sequence
from typing import Any

from keel.activity.models import TimelineEntry
from keel.lib.sql import insert_instance, insert_values


def insert_entry(entry: TimelineEntry) -> TimelineEntry:
    return insert_instance(entry)


def insert_entries(entries: Sequence[Mapping[str, Any]]) -> None:
    """Entries given as {field: value}, in one statement; fields left out get their defaults."""
    insert_values(TimelineEntry, entries)
