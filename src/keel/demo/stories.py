"""Play each planned story through the incident actions, every step frozen at its historical moment.

A story only moves forward in time, and never past its plan's deadline: when the usual gap to the
next step does not fit, the step lands part-way to the deadline instead.
"""

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Final

from django.conf import settings

from keel.accounts.models import User
from keel.demo import phrases
from keel.demo.cast import SERVICE_DESK, Cast
from keel.demo.plans import (
    AUTO_CLOSE_PAUSED_FOR,
    Outcome,
    Plan,
    Route,
    in_office_hours,
    levels_of,
    next_opening,
    plan_incidents,
    priority_of,
)
from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.conversation import add_comment
from keel.incidents.actions.lifecycle import (
    close_stale_resolved_incidents,
    confirm_resolution,
    put_incident_on_hold,
    reopen_incident,
    resolve_incident,
    transition_incident,
)
from keel.incidents.actions.records import add_watcher, open_incident, update_incident
from keel.incidents.models import Incident
from keel.incidents.states import Channel, HoldReason, IncidentState
from keel.lib import clock

# Staff work faster on what matters more: gaps between their steps are scaled by priority.
PACE: Final = {1: 0.1, 2: 0.3, 3: 1.0, 4: 1.5, 5: 2.0}
# How long each kind of wait lasts, in minutes: callers, vendors and change boards keep their own pace.
HOLD_MINUTES: Final = {
    HoldReason.AWAITING_CALLER: (60, 1800),
    HoldReason.AWAITING_VENDOR: (1440, 7200),
    HoldReason.AWAITING_CHANGE: (1440, 5760),
    HoldReason.AWAITING_PROBLEM: (2880, 10080),
}


def play_history(cast: Cast, rng: random.Random, *, now: datetime) -> list[Incident]:
    """Every demo incident, then the auto-close job as if it had run every night until a while ago."""
    days = settings.KEEL_AUTO_CLOSE_DAYS
    plans = plan_incidents(cast, rng, now=now, auto_close_days=days)
    incidents = [Story(plan, cast, rng).play() for plan in plans]
    last_run = now - AUTO_CLOSE_PAUSED_FOR
    replay_auto_close(start=plans[0].opened_at, until=last_run, older_than=timedelta(days=days))
    return incidents


def replay_auto_close(*, start: datetime, until: datetime, older_than: timedelta) -> None:
    moment = start.replace(hour=2, minute=30, second=0, microsecond=0) + timedelta(days=1)
    while moment <= until:
        with clock.frozen_at(moment):
            close_stale_resolved_incidents(older_than=older_than)
        moment += timedelta(days=1)


class Story:
    """One incident's life, from the report to where its plan says it stops."""

    incident: Incident  # set by open()

    def __init__(self, plan: Plan, cast: Cast, rng: random.Random) -> None:
        self.plan = plan
        self.cast = cast
        self.rng = rng
        self.moment = plan.opened_at
        self.impact, self.urgency = levels_of(plan.report)
        self.pace = PACE[priority_of(plan.report)]
        self.fixers = cast.members[plan.topic.group]
        self.holder = plan.agent if plan.route in {Route.FIRST_CONTACT, Route.DESK} else rng.choice(self.fixers)

    def play(self) -> Incident:
        self.open()
        match self.plan.outcome:
            case Outcome.NEW:
                self.maybe_chase()
            case Outcome.CANCELLED:
                self.cancel()
            case _ if self.plan.route == Route.FIRST_CONTACT:
                self.resolve(minutes=(3, 15))
                self.close()
            case _:
                self.handle()
        return self.incident

    def handle(self) -> None:
        """Triage, hand-over, work and resolution, stopping where the plan says."""
        outcome = self.plan.outcome
        self.triage()
        self.hand_over()
        if outcome == Outcome.ASSIGNED:
            return
        self.work()
        if self.plan.hold_reason is not None:
            self.hold(self.plan.hold_reason)
            return
        if outcome == Outcome.IN_PROGRESS and not self.plan.reopen:
            return
        self.resolve(minutes=(30, 600))
        if self.plan.reopen:
            self.reopen()
            if outcome == Outcome.IN_PROGRESS:
                return
            self.resolve(minutes=(60, 900), notes=self.pick(phrases.SECOND_FIXES))
        self.close()

    # --- the steps --------------------------------------------------------------------------

    def open(self) -> None:
        plan, topic = self.plan, self.plan.topic
        with clock.frozen_at(self.moment):
            if plan.channel == Channel.MONITORING:
                fields = self.classification() | {"assignment_group": self.cast.teams[topic.group]}
                self.incident = self.log(actor=self.cast.monitoring, **fields)
            elif plan.channel == Channel.PORTAL:
                self.incident = self.log(actor=plan.caller, **self.callers_guess())
            elif plan.channel == Channel.EMAIL:
                self.incident = self.log(actor=None)  # the mailbox integration: the caller is the opener
            elif plan.route == Route.FIRST_CONTACT:
                desk = self.cast.teams[SERVICE_DESK]
                fields = self.classification() | {"assignment_group": desk, "assignee": plan.agent}
                self.incident = self.log(actor=plan.agent, **fields)
            else:
                self.incident = self.log(actor=plan.agent, **self.classification())

    def log(self, *, actor: User | None, **fields: Any) -> Incident:
        plan = self.plan
        return open_incident(
            actor=actor,
            caller=plan.caller,
            title=plan.report.title,
            description=plan.report.description,
            channel=plan.channel,
            **fields,
        )

    def callers_guess(self) -> dict[str, Any]:
        """What a caller fills in on the portal: how urgent it is for them, often the category."""
        guess: dict[str, Any] = {"urgency": self.urgency}
        if self.rng.random() < 0.6:
            topic = self.plan.topic
            guess["category"] = self.cast.categories[topic.category]
            guess["subcategory"] = self.cast.categories[f"{topic.category}/{topic.subcategory}"]
        return guess

    def classification(self) -> dict[str, Any]:
        topic = self.plan.topic
        ci_name = self.pick(topic.cis) if topic.cis else None
        return {
            "category": self.cast.categories[topic.category],
            "subcategory": self.cast.categories[f"{topic.category}/{topic.subcategory}"],
            "service": self.cast.services[topic.service] if topic.service else None,
            "ci": self.cast.cis[ci_name] if ci_name else None,
            "impact": self.impact,
            "urgency": self.urgency,
        }

    def triage(self) -> None:
        """The desk checks the classification and puts the incident in a queue."""
        plan, agent = self.plan, self.plan.agent
        if self.incident.assignment_group_id is not None:
            return  # monitoring routed it already
        with self.later(5, 120):
            update_incident(self.incident, actor=agent, changes=self.classification())
            manager = plan.caller.manager
            if manager is not None and self.rng.random() < 0.1:
                add_watcher(self.incident, actor=agent, watcher=manager)
            first = {Route.DIRECT: plan.topic.group, Route.BOUNCED: self.wrong_group()}.get(plan.route, SERVICE_DESK)
            assignee = agent if first == SERVICE_DESK else None
            assign_incident(self.incident, actor=agent, group=self.cast.teams[first], assignee=assignee)
        if self.rng.random() < 0.4:
            with self.later(1, 20):
                add_comment(self.incident, actor=agent, body=self.pick(phrases.ACKNOWLEDGEMENTS), public=True)

    def wrong_group(self) -> str:
        return self.pick([slug for slug in self.cast.resolver_groups if slug != self.plan.topic.group])

    def hand_over(self) -> None:
        """Functional escalation: to the team that fixes it, from the desk or from the wrong team."""
        group = self.cast.teams[self.plan.topic.group]
        if self.plan.route == Route.ESCALATED:
            with self.later(10, 120):
                note = self.pick(phrases.ESCALATIONS).format(group=group)
                assign_incident(self.incident, actor=self.plan.agent, group=group, note=note)
        elif self.plan.route == Route.BOUNCED:
            wrong = self.incident.assignment_group
            assert wrong is not None
            with self.later(20, 240):
                note = self.pick(phrases.MISROUTES).format(wrong=wrong, right=group)
                assign_incident(self.incident, actor=self.pick(self.cast.members[wrong.slug]), group=group, note=note)

    def work(self) -> None:
        with self.later(15, 480):
            transition_incident(self.incident, IncidentState.IN_PROGRESS, actor=self.holder)
        if self.incident.priority <= 2:
            self.coordinate()
        with self.later(20, 240):
            add_comment(self.incident, actor=self.holder, body=self.plan.report.diagnosis, public=False)
        if self.plan.asks_caller:
            self.ask_caller()
        if self.plan.waits_for is not None:
            self.hold(self.plan.waits_for)
            self.resume(self.plan.waits_for)
        self.maybe_chase()

    def coordinate(self) -> None:
        """The incident manager steps in on P1 and P2: a work note, and a word to the caller."""
        manager = self.cast.manager
        with self.later(5, 30):
            add_comment(self.incident, actor=manager, body=self.pick(phrases.MANAGER_NOTES), public=False)
        if self.plan.caller != self.cast.monitoring:
            with self.later(10, 40):
                add_comment(self.incident, actor=manager, body=self.pick(phrases.MANAGER_UPDATES), public=True)

    def ask_caller(self) -> None:
        self.hold(HoldReason.AWAITING_CALLER)
        with self.later(*HOLD_MINUTES[HoldReason.AWAITING_CALLER], paced=False):
            # The caller's answer puts the incident back in progress by itself.
            add_comment(self.incident, actor=self.plan.caller, body=self.pick(phrases.CALLER_REPLIES), public=True)

    def hold(self, reason: HoldReason) -> None:
        note = self.pick(phrases.HOLD_NOTES[reason]).format(ref=self.rng.randint(10_000, 99_999))
        with self.later(30, 480):
            put_incident_on_hold(self.incident, actor=self.holder, reason=reason, note=note)

    def resume(self, reason: HoldReason) -> None:
        with self.later(*HOLD_MINUTES[reason], paced=False):
            note = phrases.RESUME_NOTES[reason]
            transition_incident(self.incident, IncidentState.IN_PROGRESS, actor=self.holder, note=note)

    def maybe_chase(self) -> None:
        """Some callers ask for news; when someone holds the incident, they answer."""
        if not self.plan.chased:
            return
        with self.later(60, 1440, paced=False):
            add_comment(self.incident, actor=self.plan.caller, body=self.pick(phrases.CALLER_CHASERS), public=True)
        if self.incident.assignment_group_id is not None:
            with self.later(10, 120):
                add_comment(self.incident, actor=self.holder, body=self.pick(phrases.PROGRESS_UPDATES), public=True)

    def resolve(self, *, minutes: tuple[float, float], notes: str = "") -> None:
        report = self.plan.report
        with self.later(*minutes):
            resolve_incident(self.incident, actor=self.holder, code=report.code, notes=notes or report.fix)

    def reopen(self) -> None:
        with self.later(120, 2400, paced=False):
            reopen_incident(self.incident, actor=self.plan.caller, note=self.pick(phrases.REOPENS))

    def close(self) -> None:
        """The caller confirms the fix, or stays silent and leaves it to the auto-close job."""
        if self.plan.outcome == Outcome.CONFIRMED:
            with self.later(60, 4000, paced=False):
                confirm_resolution(self.incident, actor=self.plan.caller, note=self.pick(phrases.CONFIRMATIONS))

    def cancel(self) -> None:
        """Duplicates and mistakes: cancelled straight from the triage queue, or by the queue it went to."""
        if self.rng.random() < 0.6:
            self.triage()
        group = self.incident.assignment_group
        actor = self.plan.agent
        if group is not None and group.slug != SERVICE_DESK:
            actor = self.pick(self.cast.members[group.slug])
        note = self.pick(phrases.CANCELLATIONS)
        with self.later(10, 600):
            transition_incident(self.incident, IncidentState.CANCELLED, actor=actor, note=note)

    # --- time and chance --------------------------------------------------------------------

    @contextmanager
    def later(self, low: float, high: float, *, paced: bool = True) -> Iterator[None]:
        """Run the block a little later than the previous step (minutes).

        ``paced`` steps are staff work: faster for higher priorities, and in office hours unless
        the incident is P1 or P2 (then people work through the night).
        """
        moment = self.moment + timedelta(minutes=self.rng.uniform(low, high) * (self.pace if paced else 1.0))
        if paced and self.pace >= 1 and not in_office_hours(moment):
            moment = next_opening(moment) + timedelta(minutes=self.rng.uniform(0, 120))
        if moment >= self.plan.deadline:
            moment = self.moment + (self.plan.deadline - self.moment) * self.rng.uniform(0.2, 0.6)
        self.moment = moment
        with clock.frozen_at(moment):
            yield

    def pick[T](self, options: Sequence[T]) -> T:
        return self.rng.choice(options)
