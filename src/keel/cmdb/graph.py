"""The impact graph as layers a page can draw: CIs by distance, how each was reached, and cycles.

Pure functions over the walk's result (ids, distances, oriented steps), no database.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from keel.cmdb.impact import Step


@dataclass(frozen=True)
class Link:
    other_id: int
    kind: str
    closes_cycle: bool  # leads back to a CI already drawn nearer the root, on a loop


@dataclass(frozen=True)
class Node:
    ci_id: int
    distance: int
    reached_from: tuple[Link, ...]  # the CIs one step nearer the root that lead here
    loops_to: tuple[Link, ...]  # steps from here back to CIs at the same or a nearer distance, on a cycle
    in_cycle: bool


def layers(distances: Mapping[int, int], steps: Sequence[Step]) -> list[list[Node]]:
    """One list of nodes per distance (0 = the root), each node knowing how it was reached and its loops."""
    parts = components(distances, steps)
    cyclic = {ci_id for part in parts if len(part) > 1 for ci_id in part}
    component_of = {ci_id: index for index, part in enumerate(parts) for ci_id in part}
    reached_from: dict[int, list[Link]] = defaultdict(list)
    loops_to: dict[int, list[Link]] = defaultdict(list)
    for step in steps:
        if step.from_id not in distances or step.to_id not in distances:
            continue
        here, there = distances[step.from_id], distances[step.to_id]
        if there == here + 1:
            reached_from[step.to_id].append(Link(step.from_id, step.kind, closes_cycle=False))
        elif there <= here and component_of[step.from_id] == component_of[step.to_id]:
            loops_to[step.from_id].append(Link(step.to_id, step.kind, closes_cycle=True))
    by_distance: dict[int, list[Node]] = defaultdict(list)
    for ci_id, distance in distances.items():
        by_distance[distance].append(
            Node(
                ci_id=ci_id,
                distance=distance,
                reached_from=tuple(reached_from[ci_id]),
                loops_to=tuple(loops_to[ci_id]),
                in_cycle=ci_id in cyclic,
            )
        )
    return [by_distance[distance] for distance in sorted(by_distance)]


def components(nodes: Iterable[int], steps: Sequence[Step]) -> list[set[int]]:
    """Strongly connected components (Tarjan, iterative so deep graphs cannot overflow the stack)."""
    following: dict[int, list[int]] = defaultdict(list)
    for step in steps:
        following[step.from_id].append(step.to_id)
    tarjan = _Tarjan(following)
    for start in nodes:
        if start not in tarjan.index:
            tarjan.visit(start)
    return tarjan.found


class _Tarjan:
    def __init__(self, following: Mapping[int, list[int]]) -> None:
        self.following = following
        self.index: dict[int, int] = {}
        self.low: dict[int, int] = {}
        self.on_stack: set[int] = set()
        self.stack: list[int] = []
        self.found: list[set[int]] = []

    def visit(self, start: int) -> None:
        # Each work item is (node, how many of its successors were handled): the call stack, made explicit.
        work: list[tuple[int, int]] = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                self.index[node] = self.low[node] = len(self.index)
                self.stack.append(node)
                self.on_stack.add(node)
            if not self._descend(node, position, work):
                self._finish(node, work)

    def _descend(self, node: int, position: int, work: list[tuple[int, int]]) -> bool:
        successors = self.following.get(node, [])
        for offset in range(position, len(successors)):
            successor = successors[offset]
            if successor not in self.index:
                work.extend([(node, offset + 1), (successor, 0)])
                return True
            if successor in self.on_stack:
                self.low[node] = min(self.low[node], self.index[successor])
        return False

    def _finish(self, node: int, work: list[tuple[int, int]]) -> None:
        if self.low[node] == self.index[node]:
            part: set[int] = set()
            while True:
                member = self.stack.pop()
                self.on_stack.discard(member)
                part.add(member)
                if member == node:
                    break
            self.found.append(part)
        if work:
            parent = work[-1][0]
            self.low[parent] = min(self.low[parent], self.low[node])
