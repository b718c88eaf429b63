"""Decide, before anything is written, what happens to each demo incident and when it starts.

The mix is fixed (so every state is always present); the details are drawn from a seeded random
generator (so the same seed gives the same stories).
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from keel.accounts.models import User
from keel.demo.cast import SERVICE_DESK, Cast
from keel.demo.topics import TOPICS, Report, Topic
from keel.incidents.states import DEFAULT_PRIORITY_MATRIX, Channel, HoldReason, Level, Priority


class Outcome(StrEnum):
    """Where a story stops. RESOLVED means the caller never answers; the auto-close job may close it."""

    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"
    RESOLVED = "resolved"
    CONFIRMED = "confirmed"
    STALE = "stale"  # resolved more than the auto-close delay ago, still waiting for the job


class Route(StrEnum):
    FIRST_CONTACT = "first_contact"  # fixed by the agent while the caller is on the line
    DESK = "desk"  # the service desk triages and fixes it
    ESCALATED = "escalated"  # the desk triages, then passes it to the team that fixes it
    DIRECT = "direct"  # sent straight to the team that fixes it
    BOUNCED = "bounced"  # sent to the wrong team first


RESOLVING: Final = frozenset({Outcome.RESOLVED, Outcome.CONFIRMED, Outcome.STALE})
ON_THE_LINE: Final = frozenset({Channel.PHONE, Channel.CHAT, Channel.WALK_IN})
CHANNEL_WEIGHTS: Final = {
    Channel.PORTAL: 36,
    Channel.EMAIL: 22,
    Channel.PHONE: 22,
    Channel.CHAT: 10,
    Channel.WALK_IN: 5,
    Channel.API: 5,
}

# (outcome, final hold reason, how many, opened between this many days ago… and this many).
MIX: Final[tuple[tuple[Outcome, HoldReason | None, int, float, float], ...]] = (
    (Outcome.NEW, None, 12, 0.01, 1.2),
    (Outcome.ASSIGNED, None, 16, 0.05, 3),
    (Outcome.IN_PROGRESS, None, 28, 0.1, 12),
    (Outcome.ON_HOLD, HoldReason.AWAITING_CALLER, 7, 0.2, 6),
    (Outcome.ON_HOLD, HoldReason.AWAITING_VENDOR, 6, 1, 25),
    (Outcome.ON_HOLD, HoldReason.AWAITING_CHANGE, 4, 1, 14),
    (Outcome.ON_HOLD, HoldReason.AWAITING_PROBLEM, 3, 5, 40),
    (Outcome.CANCELLED, None, 12, 0.1, 88),
    (Outcome.STALE, None, 4, 0, 0),  # window follows the auto-close delay, see _window
    (Outcome.CONFIRMED, None, 92, 0.3, 89),
    (Outcome.RESOLVED, None, 116, 0.2, 89),
)
STALE_RESOLVED_WITHIN: Final = timedelta(hours=36)
# The story: the auto-close job ran every night until this long ago, then the demo server stopped.
# Resolutions it has not seen yet are left for the first scheduler tick of `keel serve` to close.
AUTO_CLOSE_PAUSED_FOR: Final = timedelta(days=3)
MONITORED_SHARE: Final = 0.12
# Office hours in UTC, roughly those of the European head office.
OPENS: Final = 7
CLOSES: Final = 18
LEVELS: Final = {"H": Level.HIGH, "M": Level.MEDIUM, "L": Level.LOW}
# Outages are rare and password resets are not: how often a report comes up, by its priority…
SEVERITY_WEIGHT: Final = {Priority.P1: 0.12, Priority.P2: 0.5, Priority.P3: 1.0, Priority.P4: 1.0, Priority.P5: 0.8}
# …and the service desk's own work (passwords, permissions, how-to) is the bulk of the calls.
DESK_TOPIC_WEIGHT: Final = 2.5


@dataclass(frozen=True)
class Plan:
    opened_at: datetime
    deadline: datetime  # no step of the story happens after this
    outcome: Outcome
    hold_reason: HoldReason | None
    topic: Topic
    report: Report
    channel: Channel
    caller: User
    agent: User  # the service-desk agent who handles it first
    route: Route
    reopen: bool = False
    asks_caller: bool = False
    waits_for: HoldReason | None = None
    chased: bool = False


def plan_incidents(cast: Cast, rng: random.Random, *, now: datetime, auto_close_days: int) -> list[Plan]:
    """Every story of the demo, oldest first, so incident numbers grow with time like in real life."""
    plans = [
        _plan(cast, rng, outcome, hold_reason, now=now, window=_window(outcome, low, high, auto_close_days))
        for outcome, hold_reason, count, low, high in MIX
        for _ in range(count)
    ]
    return sorted(plans, key=lambda plan: plan.opened_at)


def levels_of(report: Report) -> tuple[Level, Level]:
    return LEVELS[report.levels[0]], LEVELS[report.levels[1]]


def priority_of(report: Report) -> Priority:
    return DEFAULT_PRIORITY_MATRIX[levels_of(report)]


def _weighted(pairs: Sequence[tuple[Topic, Report]], *, desk_weight: float) -> list[float]:
    return [
        SEVERITY_WEIGHT[priority_of(report)] * (desk_weight if topic.group == SERVICE_DESK else 1.0)
        for topic, report in pairs
    ]


REPORTS: Final = tuple((topic, report) for topic in TOPICS for report in topic.reports)
REPORT_WEIGHTS: Final = _weighted(REPORTS, desk_weight=DESK_TOPIC_WEIGHT)
ALERTS: Final = tuple((topic, alert) for topic in TOPICS for alert in topic.alerts)
ALERT_WEIGHTS: Final = _weighted(ALERTS, desk_weight=1.0)


def _window(outcome: Outcome, low: float, high: float, auto_close_days: int) -> tuple[float, float]:
    if outcome == Outcome.STALE:
        # Resolved at most 36 h after opening: more than the auto-close delay ago, but after the
        # job's last night, so it is still waiting to be closed.
        paused = AUTO_CLOSE_PAUSED_FOR / timedelta(days=1)
        return auto_close_days + 1.6, auto_close_days + paused - 0.1
    return low, high


def _plan(
    cast: Cast,
    rng: random.Random,
    outcome: Outcome,
    hold_reason: HoldReason | None,
    *,
    now: datetime,
    window: tuple[float, float],
) -> Plan:
    monitored = (
        outcome not in {Outcome.NEW, Outcome.CONFIRMED}
        and hold_reason != HoldReason.AWAITING_CALLER
        and rng.random() < MONITORED_SHARE
    )
    opened_at = _opened_at(rng, now, window, office_hours=not monitored)
    if monitored:
        topic, report = rng.choices(ALERTS, weights=ALERT_WEIGHTS)[0]
        channel, caller, route = Channel.MONITORING, cast.monitoring, Route.DIRECT
    else:
        topic, report = rng.choices(REPORTS, weights=REPORT_WEIGHTS)[0]
        channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        caller = rng.choices(cast.requesters, weights=[0.5 if person.is_vip else 1 for person in cast.requesters])[0]
        route = _route(rng, topic, report, channel, outcome)
    keeps_going = outcome != Outcome.STALE and route != Route.FIRST_CONTACT
    return Plan(
        opened_at=opened_at,
        deadline=opened_at + STALE_RESOLVED_WITHIN if outcome == Outcome.STALE else now - timedelta(minutes=1),
        outcome=outcome,
        hold_reason=hold_reason,
        topic=topic,
        report=report,
        channel=channel,
        caller=caller,
        agent=rng.choice(cast.agents),
        route=route,
        reopen=keeps_going and not monitored and rng.random() < (0.25 if outcome == Outcome.IN_PROGRESS else 0.08),
        asks_caller=keeps_going and not monitored and rng.random() < 0.15,
        waits_for=_waits_for(rng, topic) if keeps_going else None,
        chased=not monitored and rng.random() < 0.2,
    )


def _waits_for(rng: random.Random, topic: Topic) -> HoldReason | None:
    """Now and then the team that fixes it has to wait for a vendor or a change on the way."""
    if topic.group == SERVICE_DESK or rng.random() >= 0.07:
        return None
    return rng.choice((HoldReason.AWAITING_VENDOR, HoldReason.AWAITING_CHANGE))


def _route(rng: random.Random, topic: Topic, report: Report, channel: Channel, outcome: Outcome) -> Route:
    fixable_now = topic.desk_fixable and not report.levels.startswith("H") and channel in ON_THE_LINE
    if fixable_now and outcome in RESOLVING and rng.random() < 0.7:
        return Route.FIRST_CONTACT
    if topic.group == SERVICE_DESK:
        return Route.DESK
    return rng.choices((Route.ESCALATED, Route.DIRECT, Route.BOUNCED), weights=(35, 50, 15))[0]


def _opened_at(rng: random.Random, now: datetime, window: tuple[float, float], *, office_hours: bool) -> datetime:
    """A moment in the window; people mostly report during office hours, monitoring at any time."""
    low, high = window
    moment = now
    for _ in range(12):
        moment = now - timedelta(days=rng.uniform(low, high))
        if not office_hours or in_office_hours(moment) or rng.random() < 0.15:
            return moment
    return moment


def in_office_hours(moment: datetime) -> bool:
    return moment.weekday() < 5 and OPENS <= moment.hour < CLOSES


def next_opening(moment: datetime) -> datetime:
    """The next start of office hours after ``moment`` (the same morning if it is before opening)."""
    day = moment if moment.hour < OPENS else moment + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.replace(hour=OPENS, minute=0, second=0, microsecond=0)
