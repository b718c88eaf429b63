"""Every write on SLA clocks: keeping an incident's clocks in line with its facts, and the sweep.

``sync_clocks`` is called by incidents' actions inside their transaction, with the incident row
locked, after every change that can matter (open, state, priority/service/category, first
response). It compares what the incident now is with what each clock records and appends the
events that close the gap, so calling it twice changes nothing the second time. ``sweep`` fires
warnings and breaches that fall due; both go through ``_fire_due`` and its unique rows, so a
warning or a breach is published exactly once however many workers race.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from django.db import IntegrityError, transaction
from django.db.models import Q

from keel.lib import clock as wall_clock
from keel.lib.events import publish
from keel.sla import clock
from keel.sla.calendars import spec_of_version
from keel.sla.clock import duration_words
from keel.sla.events import SlaBreached, SlaWarning
from keel.sla.models import Calendar, CalendarVersion, Clock, ClockEvent, ClockName, OnReopen, Policy
from keel.sla.replay import ACTIVE, Event, Kind, Reading, State, replay


class Phase(StrEnum):
    """Where the incident stands, as far as clocks care; incidents map their states onto these."""

    OPEN = "open"
    ON_HOLD = "on_hold"
    DONE = "done"
    CANCELLED = "cancelled"


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


# The derived columns of a clock (plus what reports group by).
CACHED: Final = (
    "state",
    "target_s",
    "due_at",
    "next_at",
    "elapsed_s",
    "breached_at",
    "ended_at",
    "priority",
    "service_id",
    "group_id",
    "calendar_version_id",
    "policy_id",
)


def match_policy(facts: IncidentFacts) -> Policy | None:
    """The first active policy, in order, whose every criterion matches (an empty one matches all)."""
    matching = (
        Policy.objects.filter(is_active=True)
        .filter(Q(priority__isnull=True) | Q(priority=facts.priority))
        .filter(Q(service__isnull=True) | Q(service_id=facts.service_id))
        .filter(Q(category_id__isnull=True) | Q(category_id=facts.category_id))
        .filter(Q(caller_vip__isnull=True) | Q(caller_vip=facts.caller_vip))
        .select_related("calendar")
        .order_by("position", "id")
    )
    return matching.first()


def target_of(policy: Policy, name: str) -> int | None:
    return policy.response_target_s if name == ClockName.RESPONSE else policy.resolution_target_s


def sync_clocks(
    facts: IncidentFacts, *, at: datetime, actor_id: int | None, opening: bool = False, rematch: bool = False
) -> list[str]:
    """Bring the incident's clocks in line with ``facts`` at ``at``; returns lines for its timeline.

    The policy is matched when the incident opens (``opening``) and when something it is matched on
    changed (``rematch``); a lifecycle move only pauses, resumes, stops or cancels.
    """
    notes: list[str] = []
    policy = match_policy(facts) if opening or rematch else None
    # A new incident has no clock yet: no need to look (log_incident's statement budget).
    rows = Clock.objects.select_for_update(of=("self",)).select_related("policy")
    current = {} if opening else {row.name: row for row in rows.filter(incident_id=facts.incident_id, is_current=True)}
    for name in ClockName.values:
        existing = current.get(name)
        if existing is None:
            if policy is not None and _should_attach(name, facts, policy):
                notes.append(_attach(name, facts, policy, at=at, actor_id=actor_id, start=facts.opened_at))
            continue
        notes.extend(_sync_one(existing, facts, policy, at=at, actor_id=actor_id))
    return notes


def _should_attach(name: str, facts: IncidentFacts, policy: Policy) -> bool:
    if target_of(policy, name) is None or facts.phase in {Phase.DONE, Phase.CANCELLED}:
        return False
    # A clock that never ran is not attached for a commitment already kept.
    return not (name == ClockName.RESPONSE and facts.responded_at is not None)


def _attach(
    name: str, facts: IncidentFacts, policy: Policy, *, at: datetime, actor_id: int | None, start: datetime
) -> str:
    target = target_of(policy, name)
    assert target is not None
    version = _current_version(policy.calendar)
    row = Clock.objects.create(
        incident_id=facts.incident_id,
        name=name,
        policy=policy,
        policy_name=policy.name,
        calendar=policy.calendar,
        calendar_version=version,
        target_s=target,
        thresholds=list(policy.thresholds),
        started_at=start,
        elapsed_at=start,
    )
    row.__dict__["_sla_events"] = []  # a new clock has no history to read (see events_of)
    _append(
        row,
        Kind.ATTACHED,
        start,
        actor_id=actor_id,
        target_s=target,
        calendar_version=version,
        data={"policy": policy.name, "priority": facts.priority, "retroactive": start < at},
    )
    if facts.phase == Phase.ON_HOLD and name == ClockName.RESOLUTION and facts.hold_reason in policy.pausing_reasons:
        _append(
            row,
            Kind.PAUSED,
            at,
            actor_id=actor_id,
            data={"reason": facts.hold_reason, "elapsed_s": read_row(row, at).elapsed},
        )
    reading = _settle(row, at=at, announce=False)
    _store(row, reading, facts, at, before=[])
    due = f", due {_when(reading.due)}" if reading.due is not None else ""
    return f"SLA {name} clock started: {duration_words(target)} of business time ({policy.name}){due}."


def _sync_one(
    row: Clock, facts: IncidentFacts, policy: Policy | None, *, at: datetime, actor_id: int | None
) -> list[str]:
    notes: list[str] = []
    before = _cached(row)
    reading = _settle(row, at=at, announce=True)
    if reading.state in ACTIVE and policy is not None:
        notes.extend(_retarget(row, policy, reading, at=at, actor_id=actor_id))
    reading = read_row(row, at)
    lifecycle = _lifecycle_event(row, reading, facts, at=at)
    if lifecycle is not None:
        kind, when, data = lifecycle
        if kind == Kind.STOPPED:
            _settle(row, at=when, announce=True)
        if kind == Kind.REOPENED and row.policy.on_reopen == OnReopen.RESTART:
            row.is_current = False
            row.save(update_fields=["is_current"])
            notes.append(_attach(row.name, facts, row.policy, at=at, actor_id=actor_id, start=at))
            return notes
        _append(row, kind, when, actor_id=actor_id, data={**data, "elapsed_s": read_row(row, when).elapsed})
    _store(row, read_row(row, at), facts, at, before)
    return notes


Change = tuple[Kind, datetime, dict[str, object]]


def _lifecycle_event(row: Clock, reading: Reading, facts: IncidentFacts, *, at: datetime) -> Change | None:
    """The one lifecycle event (if any) that the incident's facts call for (SLA-SEMANTICS §2)."""
    active = reading.state in ACTIVE
    if facts.phase == Phase.CANCELLED:
        return (Kind.CANCELLED, at, {}) if active else None
    if facts.phase == Phase.DONE:
        return (Kind.STOPPED, at, {"why": "resolved"}) if active else None
    if row.name == ClockName.RESPONSE:
        # The response clock never pauses: asking the caller is itself a response.
        if active and facts.responded_at is not None:
            return Kind.STOPPED, max(facts.responded_at, row.started_at), {"why": "first response"}
        return None
    return _resolution_event(row, reading, facts, at=at)


def _resolution_event(row: Clock, reading: Reading, facts: IncidentFacts, *, at: datetime) -> Change | None:
    if reading.state in {State.MET, State.BREACHED}:
        return Kind.REOPENED, at, {}
    pausing = facts.phase == Phase.ON_HOLD and facts.hold_reason in row.policy.pausing_reasons
    if pausing and reading.state == State.RUNNING:
        return Kind.PAUSED, at, {"reason": facts.hold_reason}
    if not pausing and reading.state == State.PAUSED:
        return Kind.RESUMED, at, {}
    return None


def _retarget(row: Clock, policy: Policy, reading: Reading, *, at: datetime, actor_id: int | None) -> list[str]:
    """Retroactive retarget (E11–E13): start and pauses kept, new target; a recorded breach stays.

    A policy on another calendar also switches the calendar from ``at`` on."""
    target = target_of(policy, row.name)
    if target is None or (policy.pk == row.policy_id and target == row.target_s):
        return []
    old_target, old_policy = row.target_s, row.policy_name
    row.policy, row.policy_name, row.target_s, row.thresholds = policy, policy.name, target, list(policy.thresholds)
    row.save(update_fields=["policy", "policy_name", "target_s", "thresholds"])
    _append(
        row,
        Kind.RETARGETED,
        at,
        actor_id=actor_id,
        target_s=target,
        data={
            "old_target_s": old_target,
            "old_policy": old_policy,
            "policy": policy.name,
            "elapsed_s": reading.elapsed,
        },
    )
    if policy.calendar_id != row.calendar_id:
        # Time already counted stays counted in the old calendar; from now on the new one counts
        # (SLA-SEMANTICS §2, service change; B12 pieces).
        version = _current_version(policy.calendar)
        row.calendar, row.calendar_version = policy.calendar, version
        row.save(update_fields=["calendar", "calendar_version"])
        _append(
            row,
            Kind.CALENDAR_SWITCHED,
            at,
            actor_id=actor_id,
            calendar_version=version,
            data={"elapsed_s": reading.elapsed},
        )
    after = _settle(row, at=at, announce=False, on_change=True)
    late = " and is already breached" if after.breached_at is not None and reading.breached_at is None else ""
    return [
        f"SLA {row.name} clock recalculated: {duration_words(old_target)} ({old_policy}) → {duration_words(target)} "
        f"({policy.name}); {duration_words(after.elapsed)} of business time counted so far{late}."
    ]


def _settle(row: Clock, *, at: datetime, announce: bool, on_change: bool = False) -> Reading:
    """Record every warning and the breach that fell due by ``at``; publish them if ``announce``.

    Warnings passed at attach or on a retarget are recorded as skipped, not sent (B9); a breach
    found on a retarget is published (someone must act), with ``on_change``. Each firing is an
    insert-or-ignore on its unique row, so it is published only by the call that inserted it.
    """
    reading = read_row(row, at)
    fired = False
    for event, fact in firings_due(row, reading, at=at, announce=announce, on_change=on_change):
        try:
            with transaction.atomic():
                event.save()
        except IntegrityError:
            continue
        events_of(row).append(event)
        fired = True
        if fact is not None:
            publish(fact)
    return read_row(row, at) if fired else reading


Firing = tuple[ClockEvent, SlaWarning | SlaBreached | None]


def firings_due(row: Clock, reading: Reading, *, at: datetime, announce: bool, on_change: bool) -> list[Firing]:
    """The warning and breach rows (unsaved) that ``reading`` says fell due by ``at``, with what to publish."""
    now = wall_clock.now().isoformat()
    firings: list[Firing] = []
    sent = announce and not on_change
    for percent, instant in reading.thresholds:
        if instant > _instant(at):
            continue
        data: dict[str, object] = {"sent": sent, "detected_at": now, "elapsed_s": reading.target * percent // 100}
        if not sent:
            data["skipped_on"] = "change" if on_change else "attach"
        warning = SlaWarning(
            clock_id=row.pk,
            incident_id=row.incident_id,
            name=row.name,
            percent=percent,
            at=clock.datetime_of(instant),
            due_at=_datetime(reading.due),
        )
        firings.append((_event(row, Kind.THRESHOLD, instant, percent=percent, data=data), warning if sent else None))
    due = reading.due
    if reading.state == State.RUNNING and due is not None and _instant(at) > due and reading.breached_at is None:
        data = {
            "detected_at": now,
            "on_change": on_change,
            "on_attach": not announce and not on_change,
            "elapsed_s": reading.target,
        }
        breach = SlaBreached(
            clock_id=row.pk, incident_id=row.incident_id, name=row.name, at=clock.datetime_of(due), on_change=on_change
        )
        firings.append((_event(row, Kind.BREACHED, due, data=data), breach if announce or on_change else None))
    return firings


def _event(row: Clock, kind: Kind, instant: int, *, percent: int | None = None, data: dict[str, object]) -> ClockEvent:
    return ClockEvent(
        clock=row, kind=kind, at=clock.datetime_of(instant), recorded_at=wall_clock.now(), percent=percent, data=data
    )


def recalibrate(calendar: Calendar, version: CalendarVersion, *, at: datetime, actor_id: int | None) -> int:
    """A calendar was edited: running and paused clocks count with the new version from ``at`` on
    (E25a); time already counted is untouched. Returns how many clocks were switched."""
    switched = 0
    for row in Clock.objects.select_for_update().filter(calendar=calendar, state__in=[s.value for s in ACTIVE]):
        reading = _settle(row, at=at, announce=True)
        _append(
            row,
            Kind.CALENDAR_SWITCHED,
            at,
            actor_id=actor_id,
            calendar_version=version,
            data={"elapsed_s": reading.elapsed},
        )
        row.calendar_version = version
        _store_cache(row, read_row(row, at), at)
        switched += 1
    return switched


# --- reading and caching -------------------------------------------------------------------


def events_of(row: Clock) -> list[ClockEvent]:
    """The clock's events, read once per loaded row (rows are loaded locked, per transaction) and
    extended in memory by ``_append``."""
    cached: list[ClockEvent] | None = row.__dict__.get("_sla_events")
    if cached is None:
        cached = row.__dict__["_sla_events"] = list(ClockEvent.objects.filter(clock=row).order_by("id"))
    return cached


def read_clock(row: Clock, events: Sequence[ClockEvent], at: datetime) -> Reading:
    """Replay a clock from its stored events (the cache is never an input)."""
    schedule = [
        (_instant(event.at), spec_of_version(event.calendar_version_id))
        for event in events
        if event.calendar_version_id is not None
    ]
    pure = [Event(Kind(e.kind), _instant(e.at), target=e.target_s, percent=e.percent) for e in events]
    return replay(schedule, pure, row.thresholds, _instant(at))


def read_row(row: Clock, at: datetime) -> Reading:
    return read_clock(row, events_of(row), at)


def _store(row: Clock, reading: Reading, facts: IncidentFacts, at: datetime, before: list[object]) -> None:
    row.priority, row.service_id, row.group_id = facts.priority, facts.service_id, facts.group_id
    _store_cache(row, reading, at, before)


def _store_cache(row: Clock, reading: Reading, at: datetime, before: list[object] | None = None) -> None:
    """Write the derived columns if any differ from ``before`` (a running clock's elapsed_s as of
    elapsed_at stays a true pair, so an unchanged row is not rewritten)."""
    set_cache(row, reading, at)
    if before is None or before != _cached(row):
        row.save()


def set_cache(row: Clock, reading: Reading, at: datetime) -> None:
    row.state = reading.state
    row.target_s = reading.target
    row.due_at = _datetime(reading.due)
    row.next_at = _datetime(reading.next_at)
    row.elapsed_s = reading.elapsed
    row.elapsed_at = clock.datetime_of(reading.ended_at) if reading.ended_at is not None else at
    row.breached_at = _datetime(reading.breached_at)
    row.ended_at = _datetime(reading.ended_at)


def _cached(row: Clock) -> list[object]:
    return [getattr(row, name) for name in CACHED]


def _append(
    row: Clock,
    kind: Kind,
    at: datetime,
    *,
    actor_id: int | None = None,
    target_s: int | None = None,
    percent: int | None = None,
    calendar_version: CalendarVersion | None = None,
    data: dict[str, object] | None = None,
) -> ClockEvent:
    event = ClockEvent.objects.create(
        clock=row,
        kind=kind,
        at=at,
        recorded_at=wall_clock.now(),
        actor_id=actor_id,
        target_s=target_s,
        percent=percent,
        calendar_version=calendar_version,
        data=data or {},
    )
    events_of(row).append(event)
    return event


def _current_version(calendar: Calendar) -> CalendarVersion:
    return CalendarVersion.objects.get(calendar=calendar, number=calendar.version)


def _instant(moment: datetime) -> int:
    return clock.instant_of(moment)


def _datetime(instant: int | None) -> datetime | None:
    return None if instant is None else clock.datetime_of(instant)


def _when(instant: int) -> str:
    return clock.datetime_of(instant).strftime("%Y-%m-%d %H:%M UTC")
