"""What an incident's SLA clocks depend on, as incidents' actions hand it down (``sla`` sits below
``incidents``, DESIGN §4.3): the facts of the moment, and the phases the incident went through.

``earlier_events`` is pure: it turns those phases into the lifecycle events a clock attached late
(on a re-match) would hold had it run since the incident opened — SLA-SEMANTICS §1 "retroactive
start (and pause)", so such a clock does not count time on hold (the glpi#6902/#15605 bug class).
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from keel.sla.replay import Kind


class Phase(StrEnum):
    """Where the incident stands, as far as clocks care; incidents map their states onto these."""

    OPEN = "open"
    ON_HOLD = "on_hold"
    DONE = "done"
    CANCELLED = "cancelled"


# From ``at`` on the incident was in ``phase``, on hold for ``reason`` (else "").
PhaseChange = tuple[datetime, Phase, str]
# A lifecycle event to append to a clock: kind, instant, data.
Change = tuple[Kind, datetime, dict[str, object]]


@dataclass(frozen=True)
class IncidentFacts:
    """What the clocks of one incident depend on, read from the incident by its actions."""

    incident_id: int
    opened_at: datetime
    priority: int
    service_id: int | None
    category_id: int | None
    caller_vip: bool | None  # None: not read (no policy is matched on this change)
    group_id: int | None
    phase: Phase
    hold_reason: str
    responded_at: datetime | None
    # The incident's phases since it opened, oldest first, the first at ``opened_at``. Called only
    # when a clock attaches after the incident opened, so opening an incident reads nothing more.
    phases: Callable[[], Sequence[PhaseChange]]


@dataclass(frozen=True)
class Earlier:
    """Where a clock attaching now starts, and what it would have recorded before now."""

    start: datetime
    events: tuple[Change, ...] = ()


def earlier_events(
    phases: Sequence[PhaseChange], *, response: bool, pausing_reasons: Collection[str], restart: bool
) -> Earlier | None:
    """The start and past events of a clock attaching now, as if it had been attached when the
    incident opened, or None if that clock would have ended already.

    A resolution clock pauses while on hold for a reason its policy lists, stops at a resolution
    and resumes at a reopen with the resolved period as a pause (or, with ``restart``, is the new
    clock started at the last reopen). A response clock never pauses; once the incident has been
    resolved it is not attached at all (the resolution was the response: stop wins over start).
    """
    if response:
        return None if any(phase == Phase.DONE for _, phase, _ in phases) else Earlier(phases[0][0])
    if restart:
        phases = phases[_last_reopen(phases) :]
    events: list[Change] = []
    paused = done = False
    for at, phase, reason in phases:
        if phase == Phase.DONE:
            if not done:
                events.append((Kind.STOPPED, at, {"why": "resolved"}))
            done, paused = True, False
            continue
        if done:
            events.append((Kind.REOPENED, at, {}))
            done = False
        pausing = phase == Phase.ON_HOLD and reason in pausing_reasons
        if pausing and not paused:
            events.append((Kind.PAUSED, at, {"reason": reason}))
        if paused and not pausing:
            events.append((Kind.RESUMED, at, {}))
        paused = pausing
    return Earlier(phases[0][0], tuple(events))


def _last_reopen(phases: Sequence[PhaseChange]) -> int:
    """The index of the last move out of a resolution (0 if none)."""
    reopens = [
        index
        for index in range(1, len(phases))
        if phases[index - 1][1] == Phase.DONE and phases[index][1] != Phase.DONE
    ]
    return reopens[-1] if reopens else 0
