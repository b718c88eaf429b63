"""What an incident list asks for and what it answers: the filters, the agents' named queues, and
a page with its capped count. The console's queues and the API's list share them.

The statement that reads a page is hand-written (``rows.page_of``: why, in its module); the models
of a page come from ``records.incident_page``, the API's documents from ``documents.incident_document_page``.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from keel.accounts.models import User
from keel.incidents.states import OPEN, IncidentOrder, IncidentState, Priority


@dataclass(frozen=True)
class IncidentFilters:
    states: Sequence[IncidentState] = ()
    priorities: Sequence[Priority] = ()
    assignment_group_ids: Sequence[int] = ()
    assignee_ids: Sequence[int] = ()
    unassigned: bool = False
    text: str = ""
    order: IncidentOrder = IncidentOrder.NEWEST


def queue_filters(user: User, queue: str) -> IncidentFilters:
    """The named agent queues: my work, my groups, unassigned, all open."""
    open_states = tuple(sorted(OPEN))
    match queue:
        case "mine":
            return IncidentFilters(states=open_states, assignee_ids=(user.pk,))
        case "groups":
            return IncidentFilters(states=open_states, assignment_group_ids=tuple(sorted(user.team_ids)) or (0,))
        case "unassigned":
            return IncidentFilters(states=open_states, unassigned=True)
        case "all":
            return IncidentFilters()
        case _:
            return IncidentFilters(states=open_states)
