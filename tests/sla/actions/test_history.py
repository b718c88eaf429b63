"""A clock row's cached columns: what the sweep writes back is what ``set_cache`` derives, and both
are held to the model."""

from datetime import UTC, datetime
from typing import Final

from keel.sla.actions.history import CACHE_FIELDS, set_cache
from keel.sla.models import Clock
from keel.sla.replay import Reading, State

# The columns of a clock that a reading does not give, so the sweep never rewrites them.
NOT_CACHED: Final = {
    "id",
    # Who and what the clock measures: set when it is attached.
    *("incident_id", "name", "started_at"),
    # Replaced by a restart on reopen (actions/clocks.py), not by a reading.
    "is_current",
    # The commitment: changed by a re-match or a calendar edit, which save them themselves.
    *("policy_id", "policy_name", "calendar_id", "calendar_version_id", "thresholds"),
    # What reports group by, as of the incident's last change (actions/clocks.py ``_store``).
    *("priority", "service_id", "group_id"),
}


def test_cache_columns_follow_the_model() -> None:
    columns = sorted(field.attname for field in Clock._meta.concrete_fields)

    # Each column once: cached, or not (a list, so a column in both fails too).
    assert columns == sorted([*CACHE_FIELDS, *NOT_CACHED]), "name the new field in CACHE_FIELDS or NOT_CACHED"


def test_set_cache_sets_exactly_the_cache_fields() -> None:
    row = Clock()
    for field in Clock._meta.concrete_fields:
        del row.__dict__[field.attname]
    reading = Reading(
        state=State.RUNNING,
        target=3600,
        start=0,
        elapsed=60,
        due=3600,
        breached_at=None,
        pauses=(),
        ended_at=None,
        thresholds=((50, 1800),),
    )

    set_cache(row, reading, datetime(2025, 6, 2, tzinfo=UTC))

    written = {field.attname for field in Clock._meta.concrete_fields if field.attname in row.__dict__}
    assert written == set(CACHE_FIELDS)
