"""Impact analysis over the real recursive CTE: chains, diamonds, cycles, depth limits, both directions."""

from collections.abc import Callable, Sequence
from dataclasses import fields

import pytest
from django.db import IntegrityError, transaction

from keel.cmdb.actions.records import create_service, update_ci
from keel.cmdb.actions.relationships import relate
from keel.cmdb.graph import Node, components, layers
from keel.cmdb.impact import (
    Direction,
    ReachedCI,
    Step,
    impact_of,
    parse_depth,
    parse_direction,
    reach,
    steps_among,
)
from keel.cmdb.models import CIType, ConfigurationItem, Relationship
from keel.cmdb.rows import REACHED_CI_FIELDS, REACHED_TYPE_FIELDS
from keel.lib.errors import InvalidInput
from tests.conftest import Graph

pytestmark = pytest.mark.django_db

Build = Callable[[Sequence[str]], Graph]


def names(graph: Graph, distances: dict[int, int]) -> dict[str, int]:
    by_id = {ci.pk: name for name, ci in graph.items()}
    return {by_id[pk]: distance for pk, distance in distances.items()}


def test_upstream_follows_dependents_transitively_with_their_distance(build_graph: Build) -> None:
    graph = build_graph(["shop depends_on api", "api depends_on db", "db runs_on disk"])

    found = reach(graph["disk"].pk, direction=Direction.UP, depth=10)

    assert names(graph, found) == {"disk": 0, "db": 1, "api": 2, "shop": 3}


def test_downstream_follows_what_a_ci_needs(build_graph: Build) -> None:
    graph = build_graph(["shop depends_on api", "api depends_on db", "db runs_on disk", "other depends_on db"])

    found = reach(graph["api"].pk, direction=Direction.DOWN, depth=10)

    assert names(graph, found) == {"api": 0, "db": 1, "disk": 2}


def test_part_of_carries_failure_from_the_part_to_the_whole(build_graph: Build) -> None:
    graph = build_graph(["disk1 part_of cluster", "db hosted_on cluster"])

    up = reach(graph["disk1"].pk, direction=Direction.UP, depth=10)
    down = reach(graph["db"].pk, direction=Direction.DOWN, depth=10)

    assert names(graph, up) == {"disk1": 0, "cluster": 1, "db": 2}
    assert names(graph, down) == {"db": 0, "cluster": 1, "disk1": 2}


def test_a_diamond_counts_each_ci_once_at_its_shortest_distance(build_graph: Build) -> None:
    graph = build_graph(
        ["left depends_on base", "right depends_on base", "top depends_on left", "top depends_on right",
         "top depends_on base"]
    )  # fmt: skip

    found = impact_of(graph["base"], direction=Direction.UP, depth=10)

    assert [(reached.name, reached.distance) for reached in found.cis] == [("left", 1), ("right", 1), ("top", 1)]


def test_a_cycle_ends_and_marks_the_root(build_graph: Build) -> None:
    graph = build_graph(["a depends_on b", "b depends_on c", "c depends_on a", "d depends_on c"])

    found = impact_of(graph["a"], direction=Direction.UP, depth=20)

    assert [(reached.name, reached.distance) for reached in found.cis] == [("c", 1), ("b", 2), ("d", 2)]
    assert found.root_in_cycle is True


def test_a_ci_outside_any_cycle_is_not_marked(build_graph: Build) -> None:
    graph = build_graph(["a depends_on b", "b depends_on c", "c depends_on b"])

    assert impact_of(graph["c"], direction=Direction.UP, depth=5).root_in_cycle is True
    assert impact_of(graph["a"], direction=Direction.DOWN, depth=5).root_in_cycle is False


def test_the_depth_limit_stops_the_walk(build_graph: Build) -> None:
    graph = build_graph(["a depends_on b", "b depends_on c", "c depends_on d", "d depends_on e"])

    found = reach(graph["e"].pk, direction=Direction.UP, depth=2)

    assert names(graph, found) == {"e": 0, "d": 1, "c": 2}


def test_business_services_among_the_reached_cis_with_their_users(build_graph: Build) -> None:
    graph = build_graph(["checkout depends_on payments", "payments hosted_on storage"])
    shop = create_service(actor=None, name="Online shop", users=12_000, criticality=1)
    create_service(actor=None, name="Unrelated", users=5, criticality=4)
    create_service(actor=None, name="Reports", users=40, criticality=3, ci=graph["payments"])
    assert shop.ci is not None
    relate(actor=None, source=shop.ci, target=graph["checkout"], kind="depends_on")

    found = impact_of(graph["storage"], direction=Direction.UP, depth=6)

    assert [(service.name, distance) for service, distance in found.services] == [("Reports", 1), ("Online shop", 3)]
    assert found.users == 12_040


def test_layers_say_how_each_ci_was_reached_and_which_steps_close_a_cycle(build_graph: Build) -> None:
    graph = build_graph(["a depends_on b", "b depends_on c", "c depends_on a", "x depends_on a"])
    distances = reach(graph["a"].pk, direction=Direction.UP, depth=5)

    drawn = layers(distances, steps_among(list(distances), direction=Direction.UP))

    by_id = {ci.pk: name for name, ci in graph.items()}

    def row(node: Node) -> tuple[str, list[str], list[str], bool]:
        return (
            by_id[node.ci_id],
            [by_id[link.other_id] for link in node.reached_from],
            [by_id[link.other_id] for link in node.loops_to],
            node.in_cycle,
        )

    rows = [sorted(row(node) for node in layer) for layer in drawn]
    assert rows == [
        [("a", [], [], True)],
        [("c", ["a"], [], True), ("x", ["a"], [], False)],
        [("b", ["c"], ["a"], True)],
    ]


def test_components_find_every_cycle_and_leave_the_rest_alone() -> None:
    steps = [Step(1, 2, "depends_on"), Step(2, 1, "depends_on"), Step(2, 3, "depends_on"), Step(3, 4, "depends_on"),
             Step(4, 3, "depends_on"), Step(5, 5, "depends_on")]  # fmt: skip

    found = sorted(sorted(part) for part in components([1, 2, 3, 4, 5, 6], steps))

    assert found == [[1, 2], [3, 4], [5], [6]]


@pytest.mark.parametrize("raw", ["0", "21", "-1", "two", ""])
def test_depth_outside_one_to_twenty_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput, match="depth must be a whole number from 1 to 20"):
        parse_depth(raw)


def test_direction_is_up_or_down() -> None:
    assert parse_direction("down") == Direction.DOWN
    with pytest.raises(InvalidInput, match="direction must be 'up' or 'down'"):
        parse_direction("sideways")


def test_the_database_keeps_needer_and_needed_in_line_with_the_kind(build_graph: Build) -> None:
    graph = build_graph(["disk part_of cluster", "app depends_on db"])
    rows = Relationship.objects.order_by("kind").values_list("kind", "needer__name", "needed__name")

    assert list(rows) == [("depends_on", "app", "db"), ("part_of", "cluster", "disk")]
    with pytest.raises(IntegrityError), transaction.atomic():
        Relationship.objects.create(
            source=graph["db"], target=graph["app"], kind="depends_on", needer=graph["app"], needed=graph["db"]
        )


def test_reached_ci_columns_follow_the_model() -> None:
    # A walk's list and graph show each CI by name, criticality and type; its own page shows the rest.
    not_shown_of_a_ci = {
        "id",  # read as the walk's own column
        "ci_type",  # shown as its type's slug and name
        "aliases",
        "status",
        "environment",
        "owner_team",
        "support_group",
        "location",
        "attributes",
        "description",
        "revision",
    }
    not_shown_of_a_type = {"id", "description", "revision"}

    assert {field.name for field in ConfigurationItem._meta.concrete_fields} == {
        *REACHED_CI_FIELDS,
        *not_shown_of_a_ci,
    }
    assert {field.name for field in CIType._meta.concrete_fields} == {*REACHED_TYPE_FIELDS, *not_shown_of_a_type}
    assert [field.name for field in fields(ReachedCI)] == [
        "id",
        "distance",
        *REACHED_CI_FIELDS,
        *(f"type_{name}" for name in REACHED_TYPE_FIELDS),
    ]


def test_a_reached_ci_carries_what_the_walk_read(build_graph: Build) -> None:
    graph = build_graph(["web depends_on db"])
    update_ci(graph["web"], actor=None, changes={"criticality": 1})

    found = impact_of(graph["db"], direction=Direction.UP, depth=2)

    assert found.cis == [
        ReachedCI(id=graph["web"].pk, distance=1, name="web", criticality=1, type_slug="server", type_name="Server")
    ]
