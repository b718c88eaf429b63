"""The hand-written SQL of the CMDB (DESIGN §4.8): the impact walk's recursive CTE and the look-up
of CIs by the names monitoring sends. The rules around them live in ``impact`` and ``actions``.
"""

from collections.abc import Sequence
from functools import cache
from typing import Any, Final, cast

from django.db.models import Field, Model

from keel.cmdb.models import CIName, CIType, ConfigurationItem, Relationship
from keel.lib.sql import fetch, in_values

# What the walk reads of each reached CI besides its id and distance (``impact.ReachedCI``, in this
# order): the CI's own fields, then its type's. Held to the models by
# ``test_reached_ci_columns_follow_the_model``.
REACHED_CI_FIELDS: Final = ("name", "criticality")
REACHED_TYPE_FIELDS: Final = ("slug", "name")

Follow = tuple[str, str]  # the relationship fields a step goes from and to (``needed``, ``needer``)


def walk_distances(ci_id: int, *, follow: Follow, depth: int) -> dict[int, int]:
    """{CI id: shortest distance} of every CI within ``depth`` steps, the start at 0."""
    return {int(pk): int(distance) for pk, distance in fetch(_distances_sql(follow), [ci_id, depth])}


def walk_rows(ci_id: int, *, follow: Follow, depth: int) -> list[tuple[Any, ...]]:
    """(id, distance, name, criticality, type slug, type name) of every CI within ``depth`` steps,
    in one statement: building ~1,000 model instances cost more than the walk itself."""
    return fetch(_rows_sql(follow), [ci_id, depth])


@cache
def _walk_sql(follow: Follow) -> str:
    """The CTE: ``UNION`` (not ``UNION ALL``) keeps one row per (CI, distance) and the depth limit
    bounds the walk, so cycles end; ``nearest`` keeps each CI's shortest distance."""
    here, there = (_column(Relationship, name) for name in follow)
    return f"""
        WITH RECURSIVE walk(id, distance) AS (
            SELECT CAST(%s AS BIGINT), 0
            UNION
            SELECT r.{there}, walk.distance + 1
            FROM walk JOIN {Relationship._meta.db_table} r ON r.{here} = walk.id
            WHERE walk.distance < %s
        ),
        nearest(id, distance) AS (SELECT id, MIN(distance) FROM walk GROUP BY id)
    """


@cache
def _distances_sql(follow: Follow) -> str:
    return _walk_sql(follow) + "SELECT id, distance FROM nearest"


@cache
def _rows_sql(follow: Follow) -> str:
    shown = ", ".join(
        [
            *(f"ci.{_column(ConfigurationItem, name)}" for name in REACHED_CI_FIELDS),
            *(f"t.{_column(CIType, name)}" for name in REACHED_TYPE_FIELDS),
        ]
    )
    return _walk_sql(follow) + (
        f"SELECT ci.id, nearest.distance, {shown} FROM nearest "
        f"JOIN {ConfigurationItem._meta.db_table} ci ON ci.id = nearest.id "
        f"JOIN {CIType._meta.db_table} t ON t.id = ci.{_column(ConfigurationItem, 'ci_type')}"
    )


def _column(model: type[Model], name: str) -> str:
    return str(cast(Field[Any, Any], model._meta.get_field(name)).column)


def names_found(names: Sequence[str]) -> list[tuple[Any, ...]]:
    """(name, CI id, is it the CI's own name) of the name rows of these names, by CI id."""
    condition, params = in_values("n.name", names)
    return fetch(
        f"SELECT n.name, n.ci_id, n.name = c.name FROM {CIName._meta.db_table} n "
        f"JOIN {ConfigurationItem._meta.db_table} c ON c.id = n.ci_id WHERE {condition} ORDER BY n.ci_id",
        params,
    )
