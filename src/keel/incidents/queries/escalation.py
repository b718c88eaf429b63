"""Which escalation steps are due now, and whom each would tell: the reads of the escalation sweep
(``actions/escalation.py``).

Each step is one query over the open incidents its policy covers, narrowed by what the step waits
for and excluding incidents where it already fired; the first policy (by position) whose
conditions all hold is the one that applies to an incident.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, F, Max, Min, OuterRef, Q, QuerySet

from keel.accounts.models import Team, User
from keel.accounts.roles import Role
from keel.escalation.models import Fired
from keel.escalation.steps import PolicySpec, Step
from keel.incidents.models import Incident
from keel.incidents.states import OPEN
from keel.notifications.models import Notification
from keel.oncall.queries import on_call_of_teams
from keel.sla.models import Clock


@dataclass(frozen=True)
class Due:
    """A step of ``policy`` due for one incident (``clock_id`` 0 unless it is an SLA step)."""

    incident_id: int
    group_id: int | None
    policy: PolicySpec
    step: Step
    clock_id: int = 0


def due_steps(policies: Sequence[PolicySpec], *, now: datetime, limit: int) -> list[Due]:
    """Up to ``limit`` steps due now, over every policy in order. Each policy's query leaves out the
    incidents an earlier policy covers (the first that matches applies), so a later policy never
    waits behind incidents that are not its own."""
    due: list[Due] = []
    for index, policy in enumerate(policies):
        covered = _covered(policy, earlier=policies[:index])
        for step in policy.steps:
            if len(due) >= limit:
                return due
            for incident_id, group_id, clock_id in _waiting(covered, policy, step, now, limit - len(due)):
                due.append(Due(incident_id, group_id, policy, step, clock_id or 0))
    return due


def _waiting(
    covered: QuerySet[Incident], policy: PolicySpec, step: Step, now: datetime, limit: int
) -> Iterable[tuple[int, int | None, int]]:
    """(incident id, group id, clock id or 0) of the incidents ``step`` is due for, lowest first.

    Each kind starts from the rows that can be due, so a tick costs what is pending, not every
    open incident: an SLA step from the clocks whose warning or breach fired, a page step from the
    pages, a no-response step from those without a response. No correlated subquery per incident."""
    fired = Fired.objects.filter(policy_id=policy.id, step_key=step.key)
    if step.when == "sla":
        return _sla_waiting(covered, step, fired, limit)
    if step.when == "no_response":
        # No first response (SLA-SEMANTICS §2: work started, a public answer, a resolution, or an
        # acknowledged page). An assignee alone is not one: routing assigns the person it pages.
        rows = covered.filter(first_response_at__isnull=True, opened_at__lte=now - timedelta(minutes=step.minutes))
    else:
        waiting = (
            Notification.objects.filter(subject_type="incident", needs_ack=True)
            .values("subject_id")
            .annotate(first=Min("created_at"), answered=Max("acknowledged_at"))
            .filter(first__lte=now - timedelta(minutes=step.minutes), answered__isnull=True)
            .values("subject_id")
        )
        rows = covered.filter(first_response_at__isnull=True, pk__in=waiting)
    rows = rows.exclude(Exists(fired.filter(incident_id=OuterRef("pk"))))
    return [(pk, group, 0) for pk, group in rows.order_by("pk").values_list("pk", "assignment_group_id")[:limit]]


def _sla_waiting(
    covered: QuerySet[Incident], step: Step, fired: QuerySet[Fired], limit: int
) -> list[tuple[int, int | None, int]]:
    """The current running clocks that have used ``step.percent`` of their target as the SLA engine
    last recorded them (it records each warning, breach, pause and change): a step at 75 % fires
    with the first warning at or past 75 %, or the breach. Read from the clocks' own columns: a
    join to their events cost every tick a probe per open incident."""
    used = Q(breached_at__isnull=False)
    if step.percent < 100:
        used |= Q(elapsed_s__gte=F("target_s") * step.percent / 100)
    clocks = (
        Clock.objects.filter(used, name=step.clock, is_current=True, ended_at__isnull=True)
        .filter(incident_id__in=covered.values("pk"))
        .exclude(Exists(fired.filter(incident_id=OuterRef("incident_id"), clock_id=OuterRef("pk"))))
    )
    found = list(clocks.order_by("incident_id").values_list("incident_id", "pk")[:limit])
    groups = dict(Incident.objects.filter(pk__in=[pk for pk, _ in found]).values_list("pk", "assignment_group_id"))
    return [(incident, groups.get(incident), clock) for incident, clock in found]


def _covered(policy: PolicySpec, *, earlier: Sequence[PolicySpec]) -> QuerySet[Incident]:
    """The open incidents ``policy`` applies to: those it matches that no earlier policy matches."""
    rows = Incident.objects.filter(state__in=OPEN).filter(_matching(policy))
    for before in earlier:
        if not (before.priorities or before.group_ids or before.channels):
            return rows.none()  # an earlier policy takes every incident
        rows = rows.exclude(_matching(before))
    return rows


def _matching(policy: PolicySpec) -> Q:
    """``PolicySpec.matches`` as a filter (an incident with no group is in no listed group)."""
    condition = Q()
    if policy.priorities:
        condition &= Q(priority__in=policy.priorities)
    if policy.group_ids:
        condition &= Q(assignment_group_id__in=policy.group_ids)
    if policy.channels:
        condition &= Q(channel__in=policy.channels)
    return condition


@dataclass(frozen=True)
class Audience:
    """Whom a step can reach, read once per sweep batch."""

    managers: dict[int, User | None]  # group id → its manager
    bosses: dict[int, User | None]  # group id → its manager's manager
    incident_managers: tuple[User, ...]
    on_call: dict[int, tuple[User, ...]]  # group id → on call now, primary first


def audience(group_ids: Iterable[int | None], *, now: datetime) -> Audience:
    ids = {pk for pk in group_ids if pk is not None}
    teams = Team.objects.filter(pk__in=ids).select_related("manager__manager")
    managers = {team.pk: _active(team.manager) for team in teams}
    bosses = {team.pk: _active(team.manager.manager if team.manager else None) for team in teams}
    leads = tuple(User.objects.filter(role=Role.INCIDENT_MANAGER, is_active=True).order_by("username"))
    return Audience(managers=managers, bosses=bosses, incident_managers=leads, on_call=on_call_of_teams(ids, now))


def on_call_by_group(group_ids: Iterable[int], *, now: datetime) -> dict[int, tuple[User, ...]]:
    return dict.fromkeys(group_ids, ())


@dataclass(frozen=True)
class Recipients:
    """Whom a step tells, by target, each person once (under the first target that names them),
    and the targets nobody fills."""

    by_target: dict[str, list[User]]
    unfilled: tuple[str, ...]

    def ids(self) -> list[int]:
        return [person.pk for people in self.by_target.values() for person in people]


def recipients(due: Due, people: Audience) -> Recipients:
    group = due.group_id
    found: dict[str, list[User]] = {}
    unfilled: list[str] = []
    seen: set[int] = set()
    for target in due.step.notify:
        if target == "group_manager":
            candidates = [people.managers.get(group)] if group else []
        elif target == "managers_manager":
            candidates = [people.bosses.get(group)] if group else []
        elif target == "incident_managers":
            candidates = list(people.incident_managers)
        elif target == "on_call":
            candidates = list(people.on_call.get(group, ())[:1]) if group else []
        else:
            candidates = list(people.on_call.get(group, ())[1:2]) if group else []
        present = [person for person in candidates if person is not None]
        if not present:
            unfilled.append(target)
        found[target] = [person for person in present if person.pk not in seen]
        seen.update(person.pk for person in present)
    return Recipients(by_target=found, unfilled=tuple(unfilled))


def _active(user: User | None) -> User | None:
    return user if user is not None and user.is_active else None
