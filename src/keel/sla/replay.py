"""Replay a clock's event history into its current numbers (SLA-SEMANTICS §6.4): pure, like ``business_time``.

The stored clock row is only a cache of ``replay(...)``; anything it shows can be recomputed from
the append-only events, the calendar versions they name, and an instant.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from keel.sla import business_time
from keel.sla.business_time import OPEN_END, NoWorkingTime, Schedule, Span


class Kind(StrEnum):
    """What happened to a clock. Lifecycle kinds change the numbers (``unmatched`` only records a
    re-match that left them as they were); the last two record firings."""

    ATTACHED = "attached"
    PAUSED = "paused"
    RESUMED = "resumed"
    RETARGETED = "retargeted"
    CALENDAR_SWITCHED = "calendar_switched"
    STOPPED = "stopped"
    REOPENED = "reopened"
    CANCELLED = "cancelled"
    # A re-match gave the clock no policy or no target: it keeps its own (changes no number).
    UNMATCHED = "unmatched"
    THRESHOLD = "threshold"
    BREACHED = "breached"


class State(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


ACTIVE = frozenset({State.RUNNING, State.PAUSED})


@dataclass(frozen=True)
class Event:
    kind: Kind
    at: int
    target: int | None = None  # attached, retargeted
    percent: int | None = None  # threshold


@dataclass(frozen=True)
class Reading:
    """A clock's numbers at one instant."""

    state: State
    target: int
    start: int
    elapsed: int
    due: int | None  # None while paused, or when the calendar has no working time left
    breached_at: int | None
    pauses: tuple[Span, ...]
    ended_at: int | None
    # (percent, instant) not yet fired or skipped: while running, and those already passed while paused
    thresholds: tuple[tuple[int, int], ...]

    @property
    def remaining(self) -> int:
        return max(self.target - self.elapsed, 0)

    @property
    def next_at(self) -> int | None:
        """When the sweep must look at this clock again: the next threshold, or one second past the due (B7)."""
        if self.state != State.RUNNING:
            return None
        candidates = [instant for _, instant in self.thresholds]
        if self.breached_at is None and self.due is not None:
            candidates.append(self.due + 1)
        return min(candidates, default=None)


@dataclass
class _History:
    """The lifecycle facts folded out of a clock's events."""

    start: int
    target: int = 0
    pauses: list[Span] = field(default_factory=list)
    paused_since: int | None = None
    ended_at: int | None = None
    state: State = State.RUNNING
    breached_at: int | None = None
    done_percents: set[int] = field(default_factory=set)

    def apply(self, event: Event) -> None:
        match event.kind:
            case Kind.ATTACHED | Kind.RETARGETED if event.target is not None:
                self.target = event.target
            case Kind.PAUSED if self.paused_since is None and self.ended_at is None:
                self.paused_since, self.state = event.at, State.PAUSED
            case Kind.RESUMED if self.paused_since is not None:
                self.pauses.append((self.paused_since, event.at))
                self.paused_since, self.state = None, State.RUNNING
            case Kind.STOPPED | Kind.CANCELLED if self.ended_at is None:
                if self.paused_since is not None:
                    self.pauses.append((self.paused_since, event.at))
                    self.paused_since = None
                self.ended_at = event.at
                self.state = State.CANCELLED if event.kind == Kind.CANCELLED else State.MET
            case Kind.REOPENED if self.ended_at is not None and self.state != State.CANCELLED:
                # The resolved period counts as a pause (SLA-SEMANTICS §2, Reopen).
                self.pauses.append((self.ended_at, event.at))
                self.ended_at, self.state = None, State.RUNNING
            case Kind.BREACHED:
                self.breached_at = event.at if self.breached_at is None else min(self.breached_at, event.at)
            case Kind.THRESHOLD if event.percent is not None:
                self.done_percents.add(event.percent)
            case _:
                pass


def _passed_while_paused(
    schedule: Schedule, history: _History, pending: Sequence[int], elapsed: int, closed: Sequence[Span]
) -> tuple[tuple[int, int], ...]:
    """A paused clock's thresholds already passed but not recorded (it attached, or was retargeted,
    while paused), with their instants, so they are recorded as skipped (B9) rather than sent on
    resume. Usually none: a threshold passed while running was recorded before the pause."""
    passed = [p for p in pending if history.target * p // 100 <= elapsed]
    if not passed:
        return ()
    instants = business_time.dues(schedule, history.start, [history.target * p // 100 for p in passed], closed)
    return tuple(zip(passed, instants, strict=True))


def replay(schedule: Schedule, events: Sequence[Event], thresholds: Sequence[int], now: int) -> Reading:
    """The clock's reading at ``now`` from its events (ordered as recorded)."""
    history = _History(start=events[0].at)
    for event in events:
        history.apply(event)
    closed = tuple(history.pauses)
    counting = [*closed, (history.paused_since, OPEN_END)] if history.paused_since is not None else list(closed)
    until = history.ended_at if history.ended_at is not None else now
    elapsed = business_time.counted(schedule, history.start, until, counting)
    due: int | None = None
    waiting: tuple[tuple[int, int], ...] = ()
    pending = sorted(p for p in thresholds if p not in history.done_percents and 0 < p < 100)
    if history.paused_since is not None:
        waiting = _passed_while_paused(schedule, history, pending, elapsed, closed)
    else:
        amounts = [history.target * p // 100 for p in pending] + [history.target]
        try:
            instants = business_time.dues(schedule, history.start, amounts, closed)
        except NoWorkingTime:
            instants = []
        if instants:
            due = instants[-1]
            if history.ended_at is None:
                waiting = tuple(zip(pending, instants[:-1], strict=True))
    breached_at, state = history.breached_at, history.state
    if state == State.MET and due is not None and history.ended_at is not None and history.ended_at > due:
        breached_at = due if breached_at is None else breached_at
    if state == State.MET and breached_at is not None:
        state = State.BREACHED
    return Reading(
        state=state,
        target=history.target,
        start=history.start,
        elapsed=elapsed,
        due=due,
        breached_at=breached_at,
        pauses=tuple(counting),
        ended_at=history.ended_at,
        thresholds=waiting,
    )
