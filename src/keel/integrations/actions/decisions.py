"""Turning alerts into incidents: the effects of correlation, through the incidents' own actions.

``decide`` takes the alerts that wait for a decision (new or re-fired ones without an open
incident, ended ones whose incident may now be clear) and, in one transaction with those alerts
locked (``SKIP LOCKED``: several workers may decide at once):

- suppresses what a running maintenance window covers (the alert is kept, no incident);
- records only what no rule, or a rule that opens nothing, covers;
- leaves for later what is not ready (fewer than N occurrences, firing for less than T);
- joins the rest, group by group, to the incident of their group (``Correlation``), opening one
  when the group has none, or reopening it / opening a linked one when it was resolved;
- when every alert of an incident has ended, resolves it or tells its assignee (per rule).

A storm therefore costs one incident per group and one timeline entry per incident per batch.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from django.db import IntegrityError, transaction

from keel.accounts.models import Team, User
from keel.accounts.roles import Role
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.actions.conversation import add_system_note
from keel.incidents.actions.lifecycle import transition_incident
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.incidents.states import OPEN, Channel, IncidentState, Level, ResolutionCode
from keel.integrations.correlation import (
    AlertFacts,
    RuleFacts,
    WindowFacts,
    covering_window,
    group_key,
    ready_to_open,
    rule_for,
)
from keel.integrations.events import IncidentOpenedFromAlerts
from keel.integrations.inbound.parsed import Severity
from keel.integrations.models import Alert, Correlation, CorrelationRule, MaintenanceWindow
from keel.integrations.rows import insert_alert_events, update_alerts, waiting_alerts
from keel.integrations.states import ACTIVE, SEVERITY_RANK, URGENCY_OF, AlertEventKind, OnAllResolved, OnRefire
from keel.lib import clock
from keel.lib.errors import Conflict
from keel.lib.events import publish
from keel.routing.decide import AlertOrigin

MONITORING_USERNAME: Final = "monitoring"
# An incident's description lists at most this many of the alerts that opened it.
LISTED: Final = 20


@dataclass
class Decided:
    opened: list[int] = field(default_factory=list)  # incident ids
    joined: int = 0
    suppressed: int = 0
    waiting: int = 0
    resolved: list[int] = field(default_factory=list)

    def include(self, other: "Decided") -> None:
        self.opened += other.opened
        self.joined += other.joined
        self.suppressed += other.suppressed
        self.waiting += other.waiting
        self.resolved += other.resolved


# What a decision changes on an alert (``plan_decisions`` sets them; the caller writes them).
DECIDED: Final = ("incident", "needs_decision", "suppressed_by")

Event = tuple[Alert, dict[str, object]]


def decide(*, limit: int = 2000) -> Decided:
    """Decide about the stored alerts that wait: what the sweep runs (new signals are decided as
    they are applied, processing.py)."""
    with transaction.atomic():
        alerts = waiting_alerts(limit)
        if not alerts:
            return Decided()
        decision = plan_decisions(alerts, now=clock.now())
        update_alerts(alerts, DECIDED)
        insert_alert_events(event_rows(decision.events))
        return decision.finish()


@dataclass
class Decision:
    """Decisions taken in memory, and what is left to do once their alerts are written."""

    decided: Decided = field(default_factory=Decided)
    events: list[Event] = field(default_factory=list)
    opened: list[tuple[Incident, int, str, list[Alert]]] = field(default_factory=list)  # incident, rule id, key
    joined: list[tuple[Incident, list[Alert]]] = field(default_factory=list)
    refired: list[tuple[Incident, list[Alert]]] = field(default_factory=list)
    ended: list[tuple[Incident, list[Alert]]] = field(default_factory=list)

    def finish(self) -> Decided:
        """The timeline notes about the alerts, the incidents they may have cleared, and the facts
        published about the incidents they opened."""
        for incident, rule_id, key, members in self.opened:
            ids = tuple(alert.pk for alert in members if alert.pk is not None)  # a concurrent worker's are not
            publish(IncidentOpenedFromAlerts(incident_id=incident.pk, rule_id=rule_id, key=key, alert_ids=ids))
        for incident, members in self.joined:
            stored = [alert for alert in members if alert.pk is not None]  # a concurrent worker's are not
            if stored:
                add_system_note(
                    incident,
                    summary=_joined_summary(stored),
                    body=_alert_lines(stored),
                    data={"alerts": [alert.pk for alert in stored[:LISTED]], "joined": len(stored)},
                )
        for incident, members in self.refired:
            _note_refired(incident, members)
        for incident, members in self.ended:
            _check_clear(incident, members, decided=self.decided)
        return self.decided


def plan_decisions(alerts: Sequence[Alert], *, now: datetime) -> Decision:
    """Decide about these alerts in memory (they may not be inserted yet), opening, reopening or
    finding the incidents their groups join: sets each alert's ``DECIDED`` fields. What needs the
    alerts written first (notes naming them, checking whether an incident is clear) waits in the
    returned ``Decision`` for its ``finish()``. Every alert must be locked (or new) and waiting."""
    decision = Decision()
    if not alerts:
        return decision
    incidents = Incident.objects.in_bulk({alert.incident_id for alert in alerts} - {None})
    plan = _Plan(rules=_rules(), windows=_windows(now), now=now)
    for alert in alerts:
        plan.sort(alert, incidents.get(alert.incident_id) if alert.incident_id else None, decision.decided)
    decision.events = plan.events
    # In key order: two workers opening the same groups then wait for each other, not deadlock.
    for (rule_id, key), members in sorted(plan.groups.items()):
        _join_group(rule_id, key, members, now=now, decision=decision)
    decision.refired = [(incidents[pk], members) for pk, members in plan.refired.items()]
    decision.ended = [(incidents[pk], members) for pk, members in plan.ended.items()]
    return decision


def event_rows(events: Sequence[Event]) -> list[dict[str, object]]:
    """The rows for ``rows.insert_alert_events`` of the events of alerts that are stored (a concurrent
    worker may have inserted a new alert first: its events are written with its row, not here)."""
    return [{**event, "alert_id": alert.pk} for alert, event in events if alert.pk is not None]


@dataclass
class _Plan:
    """Where each waiting alert goes: a group to join, a re-fire to note, an end to check."""

    rules: list[RuleFacts]
    windows: list[WindowFacts]
    now: datetime
    groups: dict[tuple[int, str], list[Alert]] = field(default_factory=lambda: defaultdict(list))
    refired: dict[int, list[Alert]] = field(default_factory=lambda: defaultdict(list))
    ended: dict[int, list[Alert]] = field(default_factory=lambda: defaultdict(list))
    events: list[Event] = field(default_factory=list)

    def sort(self, alert: Alert, incident: Incident | None, decided: Decided) -> None:
        if alert.status not in ACTIVE:
            alert.needs_decision = False
            if incident is not None:
                self.ended[incident.pk].append(alert)
            return
        if incident is not None and incident.state in OPEN:
            alert.needs_decision = False
            self.refired[incident.pk].append(alert)
            return
        facts = _facts(alert)
        window = covering_window(facts, self.windows, self.now)
        if window is not None:
            if alert.suppressed_by_id != window.id:
                alert.suppressed_by_id = window.id
                self.events.append(_event(alert, AlertEventKind.SUPPRESSED, self.now, note=f"window {window.id}"))
            decided.suppressed += 1
            return  # still waiting: the window ends, and the alert may still be firing then
        alert.suppressed_by_id = None
        rule = rule_for(facts, self.rules)
        if rule is None or not rule.opens_incident:
            alert.needs_decision = False
        elif not ready_to_open(facts, rule, self.now):
            decided.waiting += 1
        else:
            self.groups[(rule.id, group_key(facts, rule))].append(alert)


def _rules() -> list[RuleFacts]:
    return [
        RuleFacts(
            id=rule.pk,
            source_id=rule.source_id,
            severities=list(rule.severities),
            matchers=list(rule.matchers),
            opens_incident=rule.opens_incident,
            min_occurrences=rule.min_occurrences,
            min_firing_s=rule.min_firing_s,
            group_by=rule.group_by,
            group_labels=list(rule.group_labels),
        )
        for rule in CorrelationRule.objects.filter(is_active=True).order_by("position", "id")
    ]


def _windows(now: datetime) -> list[WindowFacts]:
    running = MaintenanceWindow.objects.filter(starts_at__lte=now, ends_at__gt=now)
    return [WindowFacts(w.pk, w.starts_at, w.ends_at, list(w.matchers), w.ci_id, w.service_id) for w in running]


def _facts(alert: Alert) -> AlertFacts:
    return AlertFacts(
        source_id=alert.source_id,
        severity=alert.severity,
        labels=alert.labels,
        ci_id=alert.ci_id,
        service_id=alert.service_id,
        occurrences=alert.occurrences,
        firing_since=alert.status_changed_at,
    )


def _event(alert: Alert, kind: str, at: datetime, *, note: str = "", incident: Incident | None = None) -> Event:
    return alert, {"at": at, "kind": kind, "note": note[:300], "incident_id": incident.pk if incident else None}


def _join_group(rule_id: int, key: str, members: list[Alert], *, now: datetime, decision: Decision) -> None:
    rule = CorrelationRule.objects.select_related("assignment_group").get(pk=rule_id)
    current = Correlation.objects.filter(rule_id=rule_id, key=key, is_current=True).select_related("incident").first()
    incident = _usable(current, rule, members, now=now) if current is not None else None
    if incident is None:
        incident, ours = _open_for_group(rule, key, members, previous=current, now=now)
        decision.decided.opened.append(incident.pk)
        if ours:
            decision.opened.append((incident, rule_id, key, members))
        kind = AlertEventKind.OPENED_INCIDENT
    else:
        decision.decided.joined += len(members)
        decision.joined.append((incident, members))
        kind = AlertEventKind.JOINED_INCIDENT
    for alert in members:
        alert.incident_id = incident.pk
        alert.needs_decision = False
        decision.events.append(_event(alert, kind, now, incident=incident, note=incident.number))


def _usable(current: Correlation, rule: CorrelationRule, members: Sequence[Alert], *, now: datetime) -> Incident | None:
    """The group's incident if alerts may still join it (reopened first if it was resolved lately)."""
    incident = current.incident
    if incident.state in OPEN:
        return incident
    recent = incident.resolved_at is not None and incident.resolved_at >= now - timedelta(seconds=rule.window_s)
    if incident.state == IncidentState.RESOLVED and recent and rule.on_refire == OnRefire.REOPEN:
        try:
            note = f"Reopened by monitoring: {_joined_summary(members)}"
            return transition_incident(incident, IncidentState.IN_PROGRESS, actor=None, note=note)
        except Conflict:
            # Another processor reopened (or someone closed) it since it was read: take it as it is now.
            return incident if incident.state in OPEN else None
    return None


def _open_for_group(
    rule: CorrelationRule, key: str, members: Sequence[Alert], *, previous: Correlation | None, now: datetime
) -> tuple[Incident, bool]:
    """Open the group's incident (True); if another worker opened one for this group first, join
    theirs (False)."""
    first = members[0]
    worst = min((alert.severity for alert in members), key=lambda severity: SEVERITY_RANK[severity])
    ci = _shared_ci(members)
    service = Service.objects.filter(pk=first.service_id).first() if first.service_id else None
    follows = f"\n\nFollows {previous.incident.number}, which was resolved or closed." if previous else ""
    try:
        with transaction.atomic():
            if previous is not None:
                Correlation.objects.filter(pk=previous.pk).update(is_current=False)
            incident = open_incident(
                actor=None,
                caller=monitoring_account(),
                title=_title(first, len(members)),
                description=_description(members) + follows,
                channel=Channel.MONITORING,
                ci=ci,
                service=service,
                impact=_impact(ci, service, worst),
                urgency=URGENCY_OF[Severity(worst)],
                assignment_group=rule.assignment_group,
                fallback_group=first.source.assignment_group or _support_group(ci),
                origin=AlertOrigin(source_id=first.source_id, labels=dict(first.labels)),
            )
            Correlation.objects.create(rule=rule, key=key, incident=incident, opened_at=now)
    except IntegrityError:
        winner = Correlation.objects.select_related("incident").get(rule=rule, key=key, is_current=True)
        return winner.incident, False
    return incident, True


def _shared_ci(members: Sequence[Alert]) -> ConfigurationItem | None:
    ids = {alert.ci_id for alert in members}
    only = next(iter(ids)) if len(ids) == 1 else None
    return ConfigurationItem.objects.filter(pk=only).first() if only is not None else None


def _support_group(ci: ConfigurationItem | None) -> Team | None:
    return ci.support_group if ci is not None else None


def _impact(ci: ConfigurationItem | None, service: Service | None, worst: str) -> Level | None:
    """Keel's CMDB proposal for the CI (None: open_incident proposes it), else the service's
    criticality, else the severity."""
    if ci is not None:
        return None
    if service is not None:
        return Level.HIGH if service.criticality <= 2 else Level.MEDIUM if service.criticality == 3 else Level.LOW
    return Level.MEDIUM if worst == Severity.CRITICAL else Level.LOW


def _title(alert: Alert, count: int) -> str:
    more = f" (+{count - 1} more alerts)" if count > 1 else ""
    return (alert.summary[: 200 - len(more)] + more).strip() or "Alert from monitoring"


def _description(members: Sequence[Alert]) -> str:
    first = members[0]
    lines = [f"Opened by Keel from {len(members)} alert(s) of {first.source.name}.", "", _alert_lines(members)]
    if first.annotations.get("description"):
        lines += ["", first.annotations["description"]]
    return "\n".join(lines)


def _alert_lines(members: Sequence[Alert]) -> str:
    lines = []
    for alert in members[:LISTED]:
        labels = ", ".join(f"{name}={value}" for name, value in sorted(alert.labels.items()))
        lines.append(f"- [{alert.severity}] {alert.summary} ({labels})")
    if len(members) > LISTED:
        lines.append(f"- … and {len(members) - LISTED} more")
    return "\n".join(lines)


def _joined_summary(members: Sequence[Alert]) -> str:
    if len(members) == 1:
        return f"Alert joined: {members[0].summary}"[:300]
    return f"{len(members)} alerts joined, e.g. {members[0].summary}"[:300]


def _note_refired(incident: Incident, members: Sequence[Alert]) -> None:
    summary = f"Alert fired again: {members[0].summary}" if len(members) == 1 else f"{len(members)} alerts fired again"
    add_system_note(incident, summary=summary[:300], body=_alert_lines(members))


def _check_clear(incident: Incident, members: Sequence[Alert], *, decided: Decided) -> None:
    """When no alert of the incident is still active: resolve it, or tell whoever holds it."""
    if incident.state not in OPEN or Alert.objects.filter(incident=incident, status__in=sorted(ACTIVE)).exists():
        return
    correlation = Correlation.objects.filter(incident=incident).select_related("rule").first()
    flapping = any(alert.is_flapping for alert in members)
    policy = correlation.rule.on_all_resolved if correlation is not None else OnAllResolved.ASK
    if policy == OnAllResolved.RESOLVE and not flapping:
        try:
            transition_incident(
                incident,
                IncidentState.RESOLVED,
                actor=None,
                resolution_code=ResolutionCode.ALERTS_CLEARED,
                resolution_notes="Every alert of this incident has resolved.",
                note="Every alert of this incident has resolved.",
            )
        except Conflict:
            return  # resolved (or closed) by someone else since it was read: nothing left to do
        decided.resolved.append(incident.pk)
        return
    why = " (one of them is flapping, so Keel leaves it to you)" if flapping else ""
    add_system_note(
        incident,
        summary=f"Every alert of this incident has resolved{why}; resolve it once the service is confirmed back.",
    )


def monitoring_account() -> User:
    """The account incidents opened by monitoring are called in by (created on first need)."""
    user, _ = User.objects.get_or_create(
        username=MONITORING_USERNAME,
        defaults={"name": "Monitoring", "role": Role.AGENT, "password": "!"},  # no password: never signs in
    )
    return user
