"""Clock writes that follow the incident and its calendar: ``sync_clocks`` and ``recalibrate``.

``sync_clocks`` is called by incidents' actions inside their transaction, with the incident row
locked, after every change that can matter (open, state, priority/service/category, first
response). It compares what the incident now is with what each clock records and appends the
events that close the gap, so calling it twice changes nothing the second time. Warnings and
breaches that fell due are recorded through ``history.settle`` and its unique rows, like the
sweep's, so each is published exactly once however many writers race.
"""

from datetime import datetime

from keel.lib import clock as wall_clock
from keel.sla import business_time
from keel.sla.actions.history import (
    append,
    cached_values,
    current_version,
    events_of,
    firings_due,
    read_row,
    set_cache,
    settle,
    store_cache,
    when_words,
)
from keel.sla.business_time import duration_words
from keel.sla.facts import Change, Earlier, IncidentFacts, Phase, earlier_events
from keel.sla.models import Calendar, CalendarVersion, Clock, ClockEvent, ClockName, OnReopen, Policy
from keel.sla.replay import ACTIVE, Kind, Reading, State
from keel.sla.rows import insert_clocks, insert_events, match_policy


def _version_id(policy: Policy) -> int:
    matched: int | None = getattr(policy, "current_version_id", None)
    return matched if matched is not None else current_version(policy.calendar).pk


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
    if opening and policy is not None and facts.phase == Phase.OPEN:
        attached = _attach_at_open(facts, policy, at=at, actor_id=actor_id)
        if attached is not None:
            return attached
    # A new incident has no clock yet: no need to look (log_incident's statement budget).
    rows = Clock.objects.select_for_update(of=("self",)).select_related("policy")
    current = {} if opening else {row.name: row for row in rows.filter(incident_id=facts.incident_id, is_current=True)}
    for name in ClockName.values:
        existing = current.get(name)
        if existing is None:
            earlier = _earlier(name, facts, policy, at=at) if policy is not None else None
            if policy is not None and earlier is not None:
                notes.append(_attach(name, facts, policy, at=at, actor_id=actor_id, earlier=earlier))
            continue
        notes.extend(_sync_one(existing, facts, policy, rematched=rematch, at=at, actor_id=actor_id))
    return notes


def _earlier(name: str, facts: IncidentFacts, policy: Policy, *, at: datetime) -> Earlier | None:
    """Whether to attach ``name`` now and from where, with what it would have recorded before now."""
    if target_of(policy, name) is None or facts.phase in {Phase.DONE, Phase.CANCELLED}:
        return None
    # A clock that never ran is not attached for a commitment already kept.
    if name == ClockName.RESPONSE and facts.responded_at is not None:
        return None
    if facts.opened_at >= at:  # attaching as the incident opens: nothing happened before
        return Earlier(facts.opened_at)
    # Attaching late (a re-match): SN's retroactive start and pause, from the incident's history.
    return earlier_events(
        facts.phases(),
        response=name == ClockName.RESPONSE,
        pausing_reasons=policy.pausing_reasons,
        restart=policy.on_reopen == OnReopen.RESTART,
    )


def _attach_at_open(facts: IncidentFacts, policy: Policy, *, at: datetime, actor_id: int | None) -> list[str] | None:
    """The clocks of an incident being opened, written in two statements (the clocks, their first
    events) with their caches computed before the insert. None when a clock would fire at once
    (a zero target): ``_attach``'s path records that."""
    version_id = _version_id(policy)
    rows: list[Clock] = []
    for name in ClockName.values:
        target = target_of(policy, name)
        if _earlier(name, facts, policy, at=at) is None or target is None:
            continue
        row = _new_clock(
            name, facts, policy, target=target, start=facts.opened_at, version_id=version_id, at=at, actor_id=actor_id
        )
        reading = read_row(row, at)
        if firings_due(row, reading, at=at, announce=False, on_change=False):
            return None
        set_cache(row, reading, at)
        rows.append(row)
    ids = insert_clocks(rows)
    for row in rows:
        row.pk = ids[row.name]
        for event in events_of(row):
            event.clock = row
    insert_events([event for row in rows for event in events_of(row)])
    return [_started(row, policy, read_row(row, at), at) for row in rows]


def _new_clock(
    name: str,
    facts: IncidentFacts,
    policy: Policy,
    *,
    target: int,
    start: datetime,
    version_id: int,
    at: datetime,
    actor_id: int | None,
) -> Clock:
    """A clock of ``policy`` counting from ``start``, not yet stored, with its first event (attached
    at ``start``, retroactive when that is before ``at``) as the history ``events_of`` reads."""
    row = Clock(
        incident_id=facts.incident_id,
        name=name,
        policy=policy,
        policy_name=policy.name,
        calendar_id=policy.calendar_id,
        calendar_version_id=version_id,
        target_s=target,
        thresholds=list(policy.thresholds),
        started_at=start,
        elapsed_at=start,
        priority=facts.priority,
        service_id=facts.service_id,
        group_id=facts.group_id,
    )
    attached = ClockEvent(
        clock=row,
        kind=Kind.ATTACHED,
        at=start,
        recorded_at=wall_clock.now(),
        actor_id=actor_id,
        target_s=target,
        calendar_version_id=version_id,
        data={"policy": policy.name, "priority": facts.priority, "retroactive": start < at},
    )
    row.__dict__["_sla_events"] = [attached]  # a new clock has no history to read (see events_of)
    return row


def _started(row: Clock, policy: Policy, reading: Reading, at: datetime) -> str:
    due = f", due {when_words(reading.due)}" if reading.due is not None else ""
    late = ", already breached" if reading.breached_at is not None else ""
    words = f"{duration_words(row.target_s)} of business time ({policy.name})"
    return f"SLA {row.name} clock started: {words}{_since(row, at)}{due}{late}."


def _attach(
    name: str, facts: IncidentFacts, policy: Policy, *, at: datetime, actor_id: int | None, earlier: Earlier
) -> str:
    target = target_of(policy, name)
    assert target is not None
    version_id = _version_id(policy)
    row = _new_clock(
        name, facts, policy, target=target, start=earlier.start, version_id=version_id, at=at, actor_id=actor_id
    )
    row.save()
    (attached,) = events_of(row)
    attached.save()
    _lay_in(row, earlier, facts, at=at, actor_id=actor_id)
    reading = settle(row, at=at, announce=False)
    _store(row, reading, facts, at, before=[])
    return _started(row, policy, reading, at)


def _lay_in(row: Clock, earlier: Earlier, facts: IncidentFacts, *, at: datetime, actor_id: int | None) -> None:
    """Append what a late clock would have recorded before now, then what the incident is now (on
    hold for a reason that pauses) if that is still missing; each with the time counted by then."""
    for kind, when, data in earlier.events:
        elapsed = read_row(row, when).elapsed
        append(row, kind, when, data={**data, "retroactive": True, "elapsed_s": elapsed})
    if not earlier.events and facts.phase == Phase.OPEN:
        return  # an incident being opened: nothing to add, and no replay spent on finding that out
    change = _lifecycle_event(row, read_row(row, at), facts, at=at)
    if change is not None:
        kind, when, data = change
        append(row, kind, when, actor_id=actor_id, data={**data, "elapsed_s": read_row(row, when).elapsed})


def _since(row: Clock, at: datetime) -> str:
    """How a clock attached late was laid onto the incident's past, for the timeline."""
    if row.started_at >= at:
        return ""
    kinds = {event.kind for event in events_of(row)}
    skipped = [word for kind, word in ((Kind.PAUSED, "on hold"), (Kind.STOPPED, "resolved")) if kind in kinds]
    without = f", not counting its time {' or '.join(skipped)}" if skipped else ""
    return f", counted from {when_words(business_time.instant_of(row.started_at))}{without}"


def _sync_one(
    row: Clock,
    facts: IncidentFacts,
    policy: Policy | None,
    *,
    rematched: bool,
    at: datetime,
    actor_id: int | None,
) -> list[str]:
    notes: list[str] = []
    before = cached_values(row)
    reading = settle(row, at=at, announce=True)
    if reading.state in ACTIVE and rematched:
        notes.extend(_rematch(row, policy, reading, at=at, actor_id=actor_id))
    reading = read_row(row, at)
    lifecycle = _lifecycle_event(row, reading, facts, at=at)
    if lifecycle is not None:
        kind, when, data = lifecycle
        if kind == Kind.STOPPED:
            settle(row, at=when, announce=True)
        if kind == Kind.REOPENED and row.policy.on_reopen == OnReopen.RESTART:
            row.is_current = False
            row.save(update_fields=["is_current"])
            notes.append(_attach(row.name, facts, row.policy, at=at, actor_id=actor_id, earlier=Earlier(at)))
            return notes
        append(row, kind, when, actor_id=actor_id, data={**data, "elapsed_s": read_row(row, when).elapsed})
    _store(row, read_row(row, at), facts, at, before)
    return notes


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


def _rematch(row: Clock, policy: Policy | None, reading: Reading, *, at: datetime, actor_id: int | None) -> list[str]:
    """The policy was matched again: retarget to it, or, when it gives this clock no target, keep
    the clock's own and say so (docs/sla.md: a re-match never cancels a clock)."""
    target = None if policy is None else target_of(policy, row.name)
    if policy is not None and target is not None:
        return _retarget(row, policy, target, reading, at=at, actor_id=actor_id)
    why = (
        f"the matching policy {policy.name} has no {row.name} target" if policy else "no active policy matches any more"
    )
    append(
        row,
        Kind.UNMATCHED,
        at,
        actor_id=actor_id,
        target_s=row.target_s,
        data={"why": why, "policy": row.policy_name, "elapsed_s": reading.elapsed},
    )
    return [
        f"SLA {row.name} clock kept at {duration_words(row.target_s)} ({row.policy_name}): {why}; "
        f"{duration_words(reading.elapsed)} of business time counted so far."
    ]


def _retarget(
    row: Clock, policy: Policy, target: int, reading: Reading, *, at: datetime, actor_id: int | None
) -> list[str]:
    """Retroactive retarget (E11–E13): start and pauses kept, new target; a recorded breach stays.

    A policy on another calendar also switches the calendar from ``at`` on."""
    if policy.pk == row.policy_id and target == row.target_s:
        return []
    old_target, old_policy = row.target_s, row.policy_name
    row.policy, row.policy_name, row.target_s, row.thresholds = policy, policy.name, target, list(policy.thresholds)
    row.save(update_fields=["policy", "policy_name", "target_s", "thresholds"])
    append(
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
        row.calendar = policy.calendar
        _switch_calendar(row, current_version(policy.calendar), reading, at=at, actor_id=actor_id)
        row.save(update_fields=["calendar", "calendar_version"])
    after = settle(row, at=at, announce=False, on_change=True)
    late = " and is already breached" if after.breached_at is not None and reading.breached_at is None else ""
    return [
        f"SLA {row.name} clock recalculated: {duration_words(old_target)} ({old_policy}) → {duration_words(target)} "
        f"({policy.name}); {duration_words(after.elapsed)} of business time counted so far{late}."
    ]


def recalibrate(calendar: Calendar, version: CalendarVersion, *, at: datetime, actor_id: int | None) -> int:
    """A calendar was edited: running and paused clocks count with the new version from ``at`` on
    (E25a); time already counted is untouched. Returns how many clocks were switched."""
    switched = 0
    for row in Clock.objects.select_for_update().filter(calendar=calendar, state__in=[s.value for s in ACTIVE]):
        reading = settle(row, at=at, announce=True)
        _switch_calendar(row, version, reading, at=at, actor_id=actor_id)
        store_cache(row, read_row(row, at), at)
        switched += 1
    return switched


def _switch_calendar(
    row: Clock, version: CalendarVersion, reading: Reading, *, at: datetime, actor_id: int | None
) -> None:
    """From ``at`` on the clock counts with ``version``; the time counted by then stays counted."""
    row.calendar_version = version
    append(
        row,
        Kind.CALENDAR_SWITCHED,
        at,
        actor_id=actor_id,
        calendar_version=version,
        data={"elapsed_s": reading.elapsed},
    )


def _store(row: Clock, reading: Reading, facts: IncidentFacts, at: datetime, before: list[object]) -> None:
    row.priority, row.service_id, row.group_id = facts.priority, facts.service_id, facts.group_id
    store_cache(row, reading, at, before)
