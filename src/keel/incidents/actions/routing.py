"""Routing an incident again on request: the rules asked where it belongs as it is now."""

from django.db import transaction

from keel.accounts.models import User
from keel.incidents.actions._record import lock
from keel.incidents.actions._routing import assign_routed
from keel.incidents.models import Incident
from keel.incidents.permissions import can_work_incident
from keel.incidents.queries.routing import Report, route_report
from keel.incidents.states import OPEN, Channel, Level
from keel.lib import clock
from keel.lib.conditional import IfMatch, hold
from keel.lib.errors import Conflict, NotAllowed


def reroute_incident(incident: Incident, *, actor: User | None, if_match: IfMatch | None = None) -> Incident:
    """Ask the routing rules again where the incident belongs, as it is now (after a change of
    category, service or CI, say), and move it there; nothing changes when its group is the one the
    rules name. Only the group (and the member its strategy picks) follows: levels stay as set."""
    with transaction.atomic():
        lock(incident)
        if actor is not None and not can_work_incident(actor, incident):
            raise NotAllowed(f"You cannot reassign {incident.number}; only its assignment group can.")
        hold(if_match, incident.entity_tag, record=incident.number)
        if incident.state not in OPEN:
            raise Conflict(f"{incident.number} is no longer open; only open incidents are routed.", field="state")
        report = Report(
            incident.title,
            incident.caller,
            Channel(incident.channel),
            incident.description,
            incident.category,
            incident.subcategory,
            incident.service,
            incident.ci,
        )
        routed = route_report(report, impact=Level(incident.impact), urgency=Level(incident.urgency))
        rule = routed.routing.rule
        if rule is None:
            raise Conflict(f"No routing rule matches {incident.number} as it is now; reassign it by hand.")
        if rule.group_id != incident.assignment_group_id:
            assign_routed(incident, routed.routing, fallback=None, now=clock.now(), again=True, actor=actor)
    return incident
