"""The escalation speed layer (DESIGN §4.8): storing fired steps so that of two sweeps racing, the
one whose insert took the row is the one that announces it."""

from collections.abc import Mapping, Sequence
from typing import Any

from keel.escalation.models import Fired
from keel.lib.sql import insert_values


def insert_fired(rows: Sequence[Mapping[str, Any]]) -> set[tuple[int, int, str, int]]:
    """Insert the rows, skipping those already there; returns the keys of the rows inserted."""
    inserted = insert_values(Fired, rows, ignore_conflicts=True, returning="incident_id, policy_id, step_key, clock_id")
    return {(int(a), int(b), str(c), int(d)) for a, b, c, d in inserted}
