"""The assignment routing makes when an incident is opened (``open_incident``): the group, and the
member the group's strategy picks; which rule it is and what it changes before the incident is
stored is ``queries/routing.py``."""

from datetime import datetime
from typing import Any

from django.db.models import Count

from keel.accounts.models import Team, User
from keel.incidents.actions.assignment import apply_assignment
from keel.incidents.models import Incident
from keel.incidents.queries.routing import default_group
from keel.incidents.states import OPEN
from keel.oncall.queries import off_shift, on_call
from keel.routing.actions import take_turn
from keel.routing.decide import LEVEL_NAMES, Routing
from keel.routing.models import GroupAssignment, Strategy
from keel.routing.strategies import least_loaded, next_in_turn

STRATEGY_WORDS = {
    Strategy.ROUND_ROBIN: "round robin",
    Strategy.LEAST_LOADED: "least loaded",
    Strategy.ON_CALL: "on call",
}


def assign_routed(
    incident: Incident,
    routing: Routing,
    *,
    fallback: Team | None,
    now: datetime,
    again: bool = False,
    actor: User | None = None,
) -> None:
    """Assign the new incident as ``routing`` decided; when no rule matched, to ``fallback`` (the
    group its monitoring source or CI names) or else the default group (``KEEL_ROUTING_DEFAULT_GROUP``).
    The group's strategy may hand it to a member. The timeline says which rule it was. Keel is the
    actor, unless a person asked to route ``again``."""
    rule = routing.rule
    data: dict[str, Any]
    notes: list[str] = []
    if rule is None:
        group = fallback or default_group()
        if group is None:
            return
        reason = "the monitoring source's or CI's group" if fallback else "the default group"
        because, data = f": no routing rule matched, so {reason}", {"routing_rule_id": None}
    else:
        group = Team.objects.get(pk=rule.group_id)
        because, data = f" by rule '{rule.name}'", {"routing_rule_id": rule.id}
        notes = [
            f"{name} set to {LEVEL_NAMES[level]}"
            for name, level in (("impact", rule.set_impact), ("urgency", rule.set_urgency))
            if level is not None
        ]
    member, strategy = take_turn(group, pick=lambda turn: _member(group, turn, now=now))
    holder = f"{group} / {member}" if member else str(group)
    notes += [STRATEGY_WORDS[strategy]] if member else []
    routed = "Routed again to" if again else "Routed to"
    summary = f"{routed} {holder}{because}" + (f" ({', '.join(notes)})" if notes else "")
    apply_assignment(incident, actor=actor, group=group, assignee=member, note="", now=now, summary=summary, data=data)


def _member(group: Team, turn: GroupAssignment, *, now: datetime) -> User | None:
    """The member ``turn``'s strategy picks among those who are neither away nor outside their
    working hours (None: nobody is in)."""
    if turn.strategy == Strategy.ON_CALL:
        return _on_call(group, now=now)
    present = list(group.members.filter(is_active=True).exclude(away_until__gt=now).order_by("username"))
    off = off_shift([person.pk for person in present], now)
    members = {person.username: person for person in present if person.pk not in off}
    names = list(members)
    last = turn.last_assignee.username if turn.last_assignee else None
    if turn.strategy == Strategy.ROUND_ROBIN:
        name = next_in_turn(names, last)
    else:
        name = least_loaded(names, _open_work(names), last)
    return members[name] if name else None


def _on_call(group: Team, *, now: datetime) -> User | None:
    """The first person on call for the group (primary, then secondary…) who is an active member
    of it and not away, read afresh (an incident goes only to a member of its group); None (the
    group's queue) when nobody is."""
    ids = [person.pk for person in on_call(group.pk, now)]
    present = {
        person.pk: person for person in group.members.filter(pk__in=ids, is_active=True).exclude(away_until__gt=now)
    }
    return next((present[pk] for pk in ids if pk in present), None)


def _open_work(names: list[str]) -> dict[str, dict[int, int]]:
    """Each member's open incidents by priority (whatever group holds them)."""
    rows = (
        Incident.objects.filter(state__in=OPEN, assignee__username__in=names)
        .values("assignee__username", "priority")
        .annotate(open=Count("id"))
    )
    work: dict[str, dict[int, int]] = {}
    for row in rows:
        work.setdefault(row["assignee__username"], {})[row["priority"]] = row["open"]
    return work
