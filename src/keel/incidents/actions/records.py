"""Logging incidents and editing their fields."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from django.db import transaction

from keel.accounts.models import Team, User
from keel.activity.models import EntryKind
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.actions._record import actor_id, add_to_timeline, apply_changes, lock, record
from keel.incidents.actions._routing import assign_routed
from keel.incidents.actions._sla import sync_sla
from keel.incidents.actions.assignment import apply_assignment
from keel.incidents.events import IncidentOpened, IncidentUpdated
from keel.incidents.models import Category, Incident
from keel.incidents.permissions import (
    can_log_incident_for_others,
    can_report_incident,
    can_view_incident,
    can_work_incident,
)
from keel.incidents.queries.context import ImpactDecision, proposal_for
from keel.incidents.queries.records import no_parent, priority_for
from keel.incidents.queries.routing import Report, route_report
from keel.incidents.rows import insert_incident
from keel.incidents.states import FINAL, Channel, Level
from keel.lib import clock
from keel.lib.conditional import IfMatch, hold
from keel.lib.doors import Door, current_door
from keel.lib.errors import Conflict, InvalidInput, NotAllowed
from keel.lib.events import publish
from keel.lib.text import DESCRIPTION_MAX, check_length
from keel.routing.decide import AlertOrigin

# Fields an agent may change with update_incident; state and assignment have their own verbs.
EDITABLE_FIELDS: Final = frozenset(
    {
        "title",
        "description",
        "caller",
        "channel",
        "category",
        "subcategory",
        "service",
        "ci",
        "impact",
        "urgency",
        "parent",
    }
)

# The channel of a report that names none: where it came in. A requester's is always this one.
ENTRY_CHANNELS: Final[Mapping[Door, Channel]] = {Door.API: Channel.API, Door.MONITORING: Channel.MONITORING}

# A change of these re-matches the SLA policy (priority comes from impact and urgency).
SLA_FIELDS: Final = frozenset({"priority", "service", "category", "caller"})


def open_incident(
    *,
    actor: User | None,
    caller: User,
    title: str,
    description: str = "",
    channel: Channel | None = None,
    category: Category | None = None,
    subcategory: Category | None = None,
    service: Service | None = None,
    ci: ConfigurationItem | None = None,
    impact: Level | None = None,
    urgency: Level = Level.LOW,
    parent: Incident | None = None,
    assignment_group: Team | None = None,
    assignee: User | None = None,
    origin: AlertOrigin | None = None,
    fallback_group: Team | None = None,
) -> Incident:
    """Log a new incident with its priority computed from impact × urgency.

    Without an assignment group, the routing rules decide where it goes (and may set its impact or
    urgency), else ``fallback_group`` (a monitoring source's), else the default group;
    ``origin`` is the monitoring source and alert labels the rules may look at.

    On a CI, Keel proposes the impact from the CMDB and the timeline says whether the given impact
    follows it; without an impact the incident takes the proposal (low when there is no CI).
    Without a channel it takes the one it came in through (``ENTRY_CHANNELS``).

    A requester reports for themselves: they say how urgent it is for them, never the impact, the
    channel (where they report from) or the assignment, so a requester alone never opens a P1. Their
    report has low impact until the service desk assesses it; Keel's CMDB proposal waits for them
    on the internal timeline. The parent must be an incident the actor may see.
    """
    assessing = actor is None or can_log_incident_for_others(actor)
    if actor is not None:
        _check_may_open(actor, caller=caller, assigning=assignment_group is not None or assignee is not None)
        if not assessing:
            _check_self_service(impact=impact, channel=channel)
        _check_may_see_parent(actor, parent)
    channel = channel or ENTRY_CHANNELS.get(current_door(), Channel.PORTAL)
    title = _clean_title(title)
    check_length(description, most=DESCRIPTION_MAX, field="description")
    _check_category_pair(category, subcategory)
    if assignee is not None and assignment_group is None:
        raise InvalidInput("Give the assignee's assignment group too.", field="assignment_group")
    now = clock.now()
    with transaction.atomic():
        # Proposed before the insert, so the count of open incidents on the CI is of the others.
        decision = _impact_decision(ci, impact, assessing=assessing)
        chosen = decision.chosen if decision is not None else Level.LOW if impact is None else Level(impact)
        routed = None
        if assignment_group is None:
            report = Report(title, caller, Channel(channel), description, category, subcategory, service, ci, origin)
            routed = route_report(report, impact=chosen, urgency=Level(urgency))
            chosen, urgency = routed.impact, routed.urgency
        priority = routed.priority if routed else priority_for(chosen, Level(urgency))
        incident = insert_incident(
            Incident(
                title=title,
                description=description,
                caller=caller,
                opened_by=actor or caller,
                channel=channel,
                category=category,
                subcategory=subcategory,
                service=service,
                ci=ci,
                impact=chosen,
                urgency=urgency,
                priority=priority,
                parent=parent,
                opened_at=now,
                updated_at=now,
            )
        )
        record(incident, [("created", "", str(incident))], actor=actor, now=now)
        opened = f"Opened by {actor or caller} via {Channel(channel).label} as P{incident.priority}"
        add_to_timeline(incident, actor=actor, kind=EntryKind.OPENED, summary=opened, body=description, now=now)
        if decision is not None:
            _record_impact_decision(incident, decision, actor=actor, now=now)
        publish(IncidentOpened(incident_id=incident.pk, actor_id=actor_id(actor)))
        sync_sla(incident, actor=actor, now=now, opening=True)
        if assignment_group is not None:
            apply_assignment(incident, actor=actor, group=assignment_group, assignee=assignee, note="", now=now)
        elif routed is not None:
            assign_routed(incident, routed.routing, fallback=fallback_group, now=now)
    return incident


def _impact_decision(ci: ConfigurationItem | None, impact: Level | None, *, assessing: bool) -> ImpactDecision | None:
    """Keel's proposal for an incident on ``ci`` and the impact it gets: the one given, else the
    proposal; a requester's report stays low, the proposal held for the service desk."""
    if ci is None:
        return None
    proposed = proposal_for(ci)
    if not assessing:
        return ImpactDecision(proposed.proposal, chosen=Level.LOW, given=False, held=True)
    if impact is None:
        return ImpactDecision(proposed.proposal, chosen=proposed.level, given=False)
    return ImpactDecision(proposed.proposal, chosen=Level(impact))


def _record_impact_decision(incident: Incident, decision: ImpactDecision, *, actor: User | None, now: datetime) -> None:
    """Put Keel's CMDB-based impact proposal and what the agent chose on the (internal) timeline."""
    add_to_timeline(
        incident,
        actor=actor,
        kind=EntryKind.SYSTEM,
        summary=decision.summary,
        body=decision.body,
        is_public=False,
        data={"impact_proposal": decision.as_data()},
        now=now,
    )


def update_incident(
    incident: Incident,
    *,
    actor: User | None,
    changes: Mapping[str, Any],
    if_match: IfMatch | None = None,
) -> Incident:
    """Change editable fields; a new impact or urgency recomputes the priority.

    ``if_match`` (the API's If-Match, the console form's version) names the versions the editor
    read: another one stored is StaleVersion. Changing nothing is a no-op. Assignment changes go
    through the same rule as assign_incident.
    """
    unknown = set(changes) - EDITABLE_FIELDS - {"assignment_group", "assignee"}
    if unknown:
        raise InvalidInput(f"These fields cannot be edited: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    with transaction.atomic():
        lock(incident)
        if actor is not None and not can_work_incident(actor, incident):
            raise NotAllowed(f"You cannot edit {incident.number}; only its assignment group can.")
        if actor is not None:
            _check_may_see_parent(actor, changes.get("parent"))
        if incident.state in FINAL:
            raise Conflict(f"{incident.number} is {incident.get_state_display().lower()}; it can no longer be edited.")
        fields = {name: value for name, value in changes.items() if name in EDITABLE_FIELDS}
        if "title" in fields:
            fields["title"] = _clean_title(fields["title"])
        if "description" in fields:
            check_length(fields["description"], most=DESCRIPTION_MAX, field="description")
        if "parent" in fields and fields["parent"] is not None and fields["parent"].pk == incident.pk:
            raise InvalidInput("An incident cannot be its own parent.", field="parent")
        _check_category_pair(fields.get("category", incident.category), fields.get("subcategory", incident.subcategory))
        if "impact" in fields or "urgency" in fields:
            impact = Level(fields.get("impact", incident.impact))
            urgency = Level(fields.get("urgency", incident.urgency))
            fields["priority"] = priority_for(impact, urgency)
        # Last: a change refused without its precondition is refused as such (RFC 9110 §13.2.1).
        hold(if_match, incident.entity_tag, record=incident.number)
        now = clock.now()
        changed = apply_changes(incident, fields, actor=actor, now=now)
        if changed:
            add_to_timeline(
                incident,
                actor=actor,
                kind=EntryKind.UPDATED,
                summary=_describe_changes(changed),
                data={"fields": list(changed)},
                now=now,
            )
            publish(IncidentUpdated(incident_id=incident.pk, actor_id=actor_id(actor), fields=tuple(changed)))
        if SLA_FIELDS.intersection(changed):
            sync_sla(incident, actor=actor, now=now, rematch=True)
        if "assignment_group" in changes or "assignee" in changes:
            apply_assignment(
                incident,
                actor=actor,
                group=changes.get("assignment_group", incident.assignment_group),
                assignee=changes.get("assignee", incident.assignee),
                note="",
                now=now,
            )
    return incident


def add_watcher(incident: Incident, *, actor: User | None, watcher: User) -> None:
    """Let someone besides the caller follow the incident (they see it in the portal and API)."""
    if actor is not None and not can_work_incident(actor, incident):
        raise NotAllowed(f"You cannot change who watches {incident.number}.")
    with transaction.atomic():
        lock(incident)
        if incident.watchers.filter(pk=watcher.pk).exists():
            return
        incident.watchers.add(watcher)
        now = clock.now()
        record(incident, [("watchers", "", f"+{watcher}")], actor=actor, now=now)
        follows = f"{watcher} now follows this incident"
        add_to_timeline(incident, actor=actor, kind=EntryKind.UPDATED, summary=follows, is_public=False, now=now)


def _check_may_open(actor: User, *, caller: User, assigning: bool) -> None:
    if can_log_incident_for_others(actor):
        return
    if not can_report_incident(actor):
        raise NotAllowed("Your account cannot report incidents; ask the service desk.")
    if caller.pk != actor.pk:
        raise NotAllowed("You can only report incidents for yourself; leave the caller empty.", field="caller")
    if assigning:
        raise NotAllowed("The service desk assigns incidents; leave the assignment empty.", field="assignment_group")


def _check_self_service(*, impact: Level | None, channel: Channel | None) -> None:
    """What a requester may not say about their own report (``open_incident``)."""
    if impact is not None:
        raise NotAllowed(
            "The service desk assesses the impact; say how urgent it is for you (urgency) and leave impact out.",
            field="impact",
        )
    entry = ENTRY_CHANNELS.get(current_door(), Channel.PORTAL)
    if channel is not None and channel != entry:
        raise NotAllowed(f"Reports from here come in as {entry.label}; leave the channel out.", field="channel")


def _check_may_see_parent(actor: User, parent: Incident | None) -> None:
    # Refused as a number that does not exist: the answer must not tell which incidents exist.
    if parent is not None and not can_view_incident(actor, parent):
        raise no_parent(parent.number)


def _check_category_pair(category: Category | None, subcategory: Category | None) -> None:
    if category is not None and category.parent_id is not None:
        raise InvalidInput(
            f"{category} is a subcategory; give it as subcategory and its parent as category.", field="category"
        )
    if subcategory is None:
        return
    if category is None or subcategory.parent_id != category.pk:
        raise InvalidInput(f"Subcategory {subcategory} does not belong to category {category}.", field="subcategory")


def _clean_title(title: str) -> str:
    title = " ".join(str(title).split())
    if not title:
        raise InvalidInput("Give the incident a short title that says what is wrong.", field="title")
    if len(title) > 200:
        raise InvalidInput(f"Keep the title under 200 characters (it has {len(title)}).", field="title")
    return title


def _describe_changes(changed: list[str]) -> str:
    return "Changed " + ", ".join(name.replace("_", " ") for name in changed)
