"""Hierarchical escalation: the policies' sweep, an agent's escalation to the group manager, and
the acknowledgement of a page.

The sweep runs on every worker (``config/schedule.py``). A step fires once per incident (and SLA
clock): its ``Fired`` row is inserted with the incident rows locked, and only the sweep whose insert
took the row tells anyone. Messages and timeline entries are written in the same transaction, so a
crash leaves the step unfired for the next tick rather than half told.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from django.db import transaction
from django.urls import reverse

from keel.accounts.models import User
from keel.activity.actions import SystemEntry, add_system_entries_of
from keel.activity.models import EntryKind
from keel.escalation.actions import record_fired
from keel.escalation.queries import active_policies
from keel.escalation.steps import TARGETS
from keel.incidents.actions._record import SUBJECT, add_to_timeline, apply_changes, lock
from keel.incidents.actions.assignment import apply_assignment
from keel.incidents.models import Incident
from keel.incidents.permissions import can_work_incident
from keel.incidents.queries.escalation import Due, Recipients, audience, due_steps, recipients
from keel.incidents.states import OPEN
from keel.lib import clock
from keel.lib.conditional import IfMatch, hold
from keel.lib.errors import Conflict, MissingField, NotAllowed
from keel.notifications.actions import Message, acknowledge_pages, send
from keel.notifications.models import Event
from keel.notifications.queries import open_pages

BATCH: Final = 500


def sweep_escalations(*, now: datetime | None = None, batch: int = BATCH, max_batches: int = 40) -> int:
    """Fire the escalation steps that are due; returns how many fired here."""
    now = now or clock.now()
    policies = active_policies()
    if not policies:
        return 0
    fired = 0
    for _ in range(max_batches):
        due = due_steps(policies, now=now, limit=batch)
        if not due:
            break
        fired += _fire(due, now=now)
        if len(due) < batch:
            break
    return fired


def _fire(due: Sequence[Due], *, now: datetime) -> int:
    with transaction.atomic():
        # Locked and read again: an incident resolved since the query is left alone.
        incidents = {
            row.pk: row
            for row in Incident.objects.select_for_update()
            .filter(pk__in={item.incident_id for item in due}, state__in=OPEN)
            .order_by("pk")
        }
        due = [item for item in due if item.incident_id in incidents]
        people = audience({item.group_id for item in due}, now=now)
        whom = {_key(item): recipients(item, people) for item in due}
        taken = record_fired([(*_key(item), whom[_key(item)].ids()) for item in due], at=now)
        mine = [item for item in due if _key(item) in taken]
        messages: list[Message] = []
        entries: list[SystemEntry] = []
        for item in mine:
            incident, told = incidents[item.incident_id], whom[_key(item)]
            messages += _messages(item, incident, told)
            entries.append(_entry(item, incident, told, now))
        send(messages, at=now)
        add_system_entries_of(entries)
    return len(mine)


def _key(item: Due) -> tuple[int, int, str, int]:
    return (item.incident_id, item.policy.id, item.step.key, item.clock_id)


def _messages(item: Due, incident: Incident, told: Recipients) -> list[Message]:
    step = item.step
    verb = "pages" if step.page else "tells"
    return [
        Message(
            recipient_id=person.pk,
            key="escalation:{}:{}:{}:{}".format(*_key(item)),
            event=Event.PAGED if step.page else Event.ESCALATED,
            title=f"{'Paged' if step.page else 'Escalated'}: {incident.number} {incident.title}",
            body=f"{step.happened()}. Policy '{item.policy.name}' {verb} you as {TARGETS[target]}.",
            link=reverse("incidents:detail", kwargs={"number": incident.number}),
            subject_type=SUBJECT,
            subject_id=incident.pk,
            page=step.page,
        )
        for target, people in told.by_target.items()
        for person in people
    ]


def _entry(item: Due, incident: Incident, told: Recipients, now: datetime) -> SystemEntry:
    step = item.step
    reached = [f"{_name(person)} ({TARGETS[target]})" for target, chosen in told.by_target.items() for person in chosen]
    missed = " or ".join(TARGETS[target] for target in told.unfilled)
    if reached:
        outcome = f"{'paged' if step.page else 'told'} {', '.join(reached)}" + (
            f"; nobody is {missed}" if missed else ""
        )
    else:
        outcome = f"nobody to tell: nobody is {missed}"
    summary = f"Escalated by policy '{item.policy.name}' ({step.moment()}): {outcome}"
    data = {
        "escalation_policy_id": item.policy.id,
        "step": step.key,
        "clock_id": item.clock_id or None,
        "recipients": sorted(told.ids()),
    }
    return SystemEntry(subject_type=SUBJECT, subject_id=incident.pk, summary=summary, data=data, at=now)


def _name(person: User) -> str:
    return person.get_full_name() or person.username


def escalate_to_manager(
    incident: Incident, *, actor: User | None, note: str, if_match: IfMatch | None = None
) -> Incident:
    """Hierarchical escalation by hand: tell the manager of the incident's group, saying why, and
    keep them watching it. The incident stays where it is."""
    with transaction.atomic():
        lock(incident)
        if actor is not None and not can_work_incident(actor, incident):
            raise NotAllowed(f"You cannot escalate {incident.number}; only its assignment group can.")
        if incident.state not in OPEN:
            raise Conflict(
                f"{incident.number} is {incident.get_state_display().lower()}; only open incidents escalate."
            )
        group = incident.assignment_group
        if group is None:
            raise Conflict(f"{incident.number} is in no group's queue yet; assign it first.", field="assignment_group")
        manager = group.manager
        if manager is None or not manager.is_active:
            raise Conflict(f"{group} has no manager to escalate to; set one on the team.", field="assignment_group")
        if not note.strip():
            raise MissingField("Say why the manager is needed.", field="note")
        hold(if_match, incident.entity_tag, record=incident.number)
        now = clock.now()
        incident.watchers.add(manager)
        entry = add_to_timeline(
            incident,
            actor=actor,
            kind=EntryKind.WORK_NOTE,
            summary=f"Escalated to {_name(manager)} (manager of {group})",
            body=note.strip(),
            is_public=False,
            data={"escalated_to_id": manager.pk},
            now=now,
        )
        by = f" by {_name(actor)}" if actor is not None else ""
        send(
            [
                Message(
                    recipient_id=manager.pk,
                    key=f"manual-escalation:{entry.pk}",
                    event=Event.ESCALATED,
                    title=f"Escalated to you{by}: {incident.number} {incident.title}",
                    body=note.strip(),
                    link=reverse("incidents:detail", kwargs={"number": incident.number}),
                    subject_type=SUBJECT,
                    subject_id=incident.pk,
                )
            ],
            at=now,
        )
    return incident


def acknowledge_incident(incident: Incident, *, actor: User, if_match: IfMatch | None = None) -> Incident:
    """Answer the incident's pages: "I am on it". The pages stop escalating, the response is
    recorded, and an incident nobody holds goes to the one who answered (when in its group)."""
    with transaction.atomic():
        lock(incident)
        if not can_work_incident(actor, incident):
            raise NotAllowed(f"You cannot acknowledge {incident.number}; only its assignment group can.")
        if incident.state not in OPEN:
            raise Conflict(f"{incident.number} is {incident.get_state_display().lower()}; it needs no answer.")
        pages = open_pages(SUBJECT, incident.pk)
        if not pages:
            raise Conflict(f"No page of {incident.number} is waiting for an answer.")
        hold(if_match, incident.entity_tag, record=incident.number)
        now = clock.now()
        acknowledge_pages(pages, actor=actor, at=now)
        group = incident.assignment_group
        if incident.assignee_id is None and group is not None and group.pk in actor.team_ids:
            apply_assignment(
                incident,
                actor=actor,
                group=group,
                assignee=actor,
                note="",
                now=now,
                summary=f"Acknowledged and taken by {_name(actor)}",
            )
        else:
            add_to_timeline(
                incident,
                actor=actor,
                kind=EntryKind.SYSTEM,
                summary=f"Page acknowledged by {_name(actor)}",
                is_public=False,
                now=now,
            )
        if incident.first_response_at is None and actor.is_staff_member:
            apply_changes(incident, {"first_response_at": now}, actor=actor, now=now)
    return incident
