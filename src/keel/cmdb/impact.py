"""Impact analysis: which CIs a CI's failure reaches (upstream) or which it needs (downstream).

One recursive CTE (``rows``) walks the relationship table on SQLite and PostgreSQL alike. Each step
follows an edge the way failure travels: ``needed → needer`` upward, ``needer → needed`` downward
(see ``kinds.ends``: the source needs the target, except that for ``part_of`` the whole needs its part).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from keel.cmdb.kinds import ends
from keel.cmdb.models import ConfigurationItem, Relationship, Service
from keel.cmdb.rows import Follow, walk_distances, walk_rows
from keel.lib.errors import InvalidInput

DEFAULT_DEPTH: Final = 6
MAX_DEPTH: Final = 20


class Direction(StrEnum):
    UP = "up"  # what breaks if this fails: the CIs that need it, transitively
    DOWN = "down"  # what this needs, transitively


# Upward a step goes from a CI to whoever needs it; downward, to what it needs.
_STEP: Final[dict[Direction, Follow]] = {Direction.UP: ("needed", "needer"), Direction.DOWN: ("needer", "needed")}


def parse_depth(raw: object) -> int:
    text = str(raw).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_DEPTH:
        raise InvalidInput(f"depth must be a whole number from 1 to {MAX_DEPTH} (got {raw!r}).", field="depth")
    return int(text)


def parse_direction(raw: object) -> Direction:
    if raw not in Direction.__members__.values():
        raise InvalidInput(f"direction must be 'up' or 'down' (got {raw!r}).", field="direction")
    return Direction(str(raw))


def reach(ci_id: int, *, direction: Direction, depth: int) -> dict[int, int]:
    """{CI id: shortest distance} of every CI within ``depth`` steps, the start itself at 0."""
    return walk_distances(ci_id, follow=_STEP[direction], depth=depth)


@dataclass(frozen=True)
class ReachedCI:
    """A CI the walk reached: what lists and graphs show of it, and its shortest distance from the start."""

    id: int
    distance: int
    name: str
    criticality: int
    type_slug: str
    type_name: str

    @property
    def pk(self) -> int:
        return self.id


def reached(ci_id: int, *, direction: Direction, depth: int) -> list[ReachedCI]:
    """Every CI within ``depth`` steps (the start at 0), by distance then name, in one statement."""
    rows = [ReachedCI(*row) for row in walk_rows(ci_id, follow=_STEP[direction], depth=depth)]
    return sorted(rows, key=lambda row: (row.distance, row.name))


@dataclass(frozen=True)
class Impact:
    root: ConfigurationItem
    direction: Direction
    depth: int
    cis: list[ReachedCI]  # by distance, then name; the root is not among them
    services: list[tuple[Service, int]]  # business services reached (or the root's own), with their distance
    deepest: int  # the largest distance reached
    root_in_cycle: bool = False
    users: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "users", sum(service.users for service, _ in self.services))


def impact_of(root: ConfigurationItem, *, direction: Direction, depth: int = DEFAULT_DEPTH) -> Impact:
    """The CIs within ``depth`` steps of ``root`` with their distance, and the business services among them."""
    rows = reached(root.pk, direction=direction, depth=depth)
    distances = {row.id: row.distance for row in rows}
    distances[root.pk] = 0
    cis = [row for row in rows if row.id != root.pk]
    # Services are few; filtering them here keeps a walk of 50,000 CIs clear of SQLite's parameter limit.
    linked = Service.objects.filter(ci__isnull=False)
    services = sorted(
        ((service, distances[service.ci_id]) for service in linked if service.ci_id in distances),
        key=lambda pair: (pair[1], pair[0].criticality, -pair[0].users, pair[0].name),
    )
    return Impact(
        root=root,
        direction=direction,
        depth=depth,
        cis=cis,
        services=services,
        deepest=max((row.distance for row in cis), default=0),
        root_in_cycle=_returns_to_root(root.pk, distances, direction=direction),
    )


def _returns_to_root(root_id: int, distances: dict[int, int], *, direction: Direction) -> bool:
    """Does a reached CI lead back to the root? (The walk records the root only at distance 0.)

    Only the steps into the root can close such a loop, so only those are read (one index probe).
    """
    here, there = _STEP[direction]
    into_root = Relationship.objects.filter(**{there: root_id}).order_by().values_list(here, flat=True)
    return any(pk in distances and pk != root_id for pk in into_root)


@dataclass(frozen=True)
class Step:
    """One edge in the walk's direction: failure of ``from_id`` reaches ``to_id`` (upward)."""

    from_id: int
    to_id: int
    kind: str


def steps_among(ids: Sequence[int], *, direction: Direction) -> list[Step]:
    """The relationships between these CIs, oriented the way the walk goes."""
    chosen = set(ids)
    rows = (
        Relationship.objects.filter(source_id__in=chosen, target_id__in=chosen)
        .order_by()
        .values_list("source_id", "target_id", "kind")
    )
    return [_oriented(source_id, target_id, kind, direction) for source_id, target_id, kind in rows]


def _oriented(source_id: int, target_id: int, kind: str, direction: Direction) -> Step:
    needer, needed = ends(source_id, target_id, kind)
    if direction == Direction.UP:
        return Step(from_id=needed, to_id=needer, kind=kind)
    return Step(from_id=needer, to_id=needed, kind=kind)
