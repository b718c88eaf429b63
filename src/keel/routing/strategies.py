"""Which member of a group takes a routed incident: pure choices over plain values.

Round robin takes the member after the last one who got an incident (in username order, so the
turn survives members joining and leaving); least loaded takes the member with the least open work,
a P1 weighing more than a P5, the turn breaking ties. Members who are away are never picked.
"""

from collections.abc import Mapping, Sequence
from typing import Final

# Open work by priority: a P1 counts as five P5s.
PRIORITY_WEIGHT: Final[Mapping[int, int]] = {1: 5, 2: 4, 3: 3, 4: 2, 5: 1}


def next_in_turn(members: Sequence[str], last: str | None) -> str | None:
    """The member after ``last`` in ``members`` (sorted names), wrapping round; None when nobody is in."""
    if not members:
        return None
    later = [member for member in members if last is None or member > last]
    return later[0] if later else members[0]


def least_loaded(members: Sequence[str], load: Mapping[str, Mapping[int, int]], last: str | None) -> str | None:
    """The member with the lowest weighted count of open incidents (``load``: member → {priority:
    count}); among equals, the next in turn after ``last``."""
    if not members:
        return None
    weights = {member: sum(PRIORITY_WEIGHT[p] * n for p, n in load.get(member, {}).items()) for member in members}
    lightest = min(weights.values())
    return next_in_turn([member for member in members if weights[member] == lightest], last)
