"""Who may do what to an incident: predicates over the user and the incident, nothing else.

Actions re-check these; views and the API use them to show only what is possible.
"""

from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.incidents.models import Incident
from keel.incidents.states import FINAL, OPEN, IncidentState


def can_log_incident_for_others(user: User) -> bool:
    return user.can(Capability.LOG_INCIDENT)


def can_see_impact_proposal(user: User) -> bool:
    """Keel's impact proposal for a CI counts every incident open on it: for those who log for others."""
    return can_log_incident_for_others(user)


def can_manage_reference_data(user: User) -> bool:
    """The category tree and the priority matrix: administrators."""
    return user.can(Capability.ADMINISTER)


def can_report_incident(user: User) -> bool:
    return user.can(Capability.REPORT_INCIDENT)


def is_callers_side(user: User, incident: Incident) -> bool:
    return incident.caller_id == user.pk or incident.watchers.filter(pk=user.pk).exists()


def can_view_incident(user: User, incident: Incident) -> bool:
    return user.can(Capability.VIEW_ALL_INCIDENTS) or is_callers_side(user, incident)


def can_work_incident(user: User, incident: Incident) -> bool:
    """Edit, assign and move the incident along: its group's members and manager, or a wider role."""
    if user.can(Capability.WORK_ANY_QUEUE):
        return True
    if incident.assignment_group_id is None:
        return user.can(Capability.WORK_UNASSIGNED)
    if not user.can(Capability.VIEW_ALL_INCIDENTS):
        return False
    return incident.assignment_group_id in user.team_ids or incident.assignee_id == user.pk


def can_edit_incident(user: User, incident: Incident) -> bool:
    """Change its fields: those who work it, while it is not closed or cancelled."""
    return incident.state not in FINAL and can_work_incident(user, incident)


def can_assign_incident(user: User, incident: Incident) -> bool:
    """Put it in a (new) group's queue: those who work it, while it is open."""
    return incident.state in OPEN and can_work_incident(user, incident)


def can_transition_incident(user: User, incident: Incident, target: IncidentState) -> bool:
    if target == IncidentState.CLOSED:
        # Closing confirms the fix worked, which only the caller can say (or the auto-close job).
        return incident.caller_id == user.pk
    if incident.state == IncidentState.RESOLVED and target == IncidentState.IN_PROGRESS:
        return incident.caller_id == user.pk or can_work_incident(user, incident)
    return can_work_incident(user, incident)


def can_comment_on_incident(user: User, incident: Incident, *, public: bool) -> bool:
    if not public:
        return user.can(Capability.WRITE_WORK_NOTES)
    return can_view_incident(user, incident)


def can_see_work_notes(user: User) -> bool:
    return user.can(Capability.WRITE_WORK_NOTES)
