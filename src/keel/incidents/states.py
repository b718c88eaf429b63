"""The incident lifecycle as data: states, the transition table, and what each step requires.

``actions._transition`` is the only code that assigns ``Incident.state``; it consults this table.
"""

from collections.abc import Mapping
from typing import Final

from django.db import models


class IncidentState(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


S = IncidentState

TRANSITIONS: Final[Mapping[IncidentState, frozenset[IncidentState]]] = {
    S.NEW: frozenset({S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    S.ASSIGNED: frozenset({S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED, S.CANCELLED}),
    # Back to assigned: handed to another group (or back to the queue) before it is fixed.
    S.IN_PROGRESS: frozenset({S.ASSIGNED, S.ON_HOLD, S.RESOLVED, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    # Back to in progress is a reopen: the caller rejected the fix, or it did not hold.
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

OPEN: Final = frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD})
DONE: Final = frozenset({S.RESOLVED, S.CLOSED})
FINAL: Final = frozenset({S.CLOSED, S.CANCELLED})
PAUSES_SLA: Final = frozenset({S.ON_HOLD})


class HoldReason(models.TextChoices):
    AWAITING_CALLER = "awaiting_caller", "Awaiting caller"
    AWAITING_VENDOR = "awaiting_vendor", "Awaiting vendor"
    AWAITING_CHANGE = "awaiting_change", "Awaiting change"
    AWAITING_PROBLEM = "awaiting_problem", "Awaiting problem"


class ResolutionCode(models.TextChoices):
    SOLVED_PERMANENTLY = "solved_permanently", "Solved (permanently)"
    SOLVED_WORKAROUND = "solved_workaround", "Solved (workaround)"
    SOLVED_REMOTELY = "solved_remotely", "Solved remotely"
    NOT_REPRODUCIBLE = "not_reproducible", "Not reproducible"
    DUPLICATE = "duplicate", "Duplicate"
    USER_ERROR = "user_error", "User error / no fault"
    CLOSED_BY_CALLER = "closed_by_caller", "Closed by caller"
    ALERTS_CLEARED = "alerts_cleared", "Alerts cleared (monitoring)"


class Level(models.IntegerChoices):
    """Impact and urgency. Stored as 1–3 so that sorting puts the most severe first."""

    HIGH = 1, "high"
    MEDIUM = 2, "medium"
    LOW = 3, "low"


class Priority(models.IntegerChoices):
    P1 = 1, "P1"
    P2 = 2, "P2"
    P3 = 3, "P3"
    P4 = 4, "P4"
    P5 = 5, "P5"


PRIORITY_NAMES: Final[Mapping[Priority, str]] = {
    Priority.P1: "Critical",
    Priority.P2: "High",
    Priority.P3: "Moderate",
    Priority.P4: "Low",
    Priority.P5: "Planning",
}

# ITIL default matrix (DESIGN §5); the live matrix is the PriorityRule table, seeded from this.
DEFAULT_PRIORITY_MATRIX: Final[Mapping[tuple[Level, Level], Priority]] = {
    (Level.HIGH, Level.HIGH): Priority.P1,
    (Level.HIGH, Level.MEDIUM): Priority.P2,
    (Level.MEDIUM, Level.HIGH): Priority.P2,
    (Level.HIGH, Level.LOW): Priority.P3,
    (Level.MEDIUM, Level.MEDIUM): Priority.P3,
    (Level.LOW, Level.HIGH): Priority.P3,
    (Level.MEDIUM, Level.LOW): Priority.P4,
    (Level.LOW, Level.MEDIUM): Priority.P4,
    (Level.LOW, Level.LOW): Priority.P5,
}


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal"
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    MONITORING = "monitoring", "Monitoring"
    API = "api", "API"
    CHAT = "chat", "Chat"
    WALK_IN = "walk_in", "Walk-in"


class IncidentOrder(models.TextChoices):
    """How a list of incidents is sorted (the API's order, the queue's Sort)."""

    NEWEST = "-opened_at", "Newest first"
    OLDEST = "opened_at", "Oldest first"
    HIGHEST_PRIORITY = "priority", "Highest priority first"
    LOWEST_PRIORITY = "-priority", "Lowest priority first"
    RECENTLY_UPDATED = "-updated_at", "Recently updated"


# Fields a transition into this state must be given (else 422 naming them).
REQUIRED_FOR: Final[Mapping[IncidentState, tuple[str, ...]]] = {
    S.ON_HOLD: ("hold_reason",),
    S.RESOLVED: ("resolution_code",),
}


def required_for(source: IncidentState, target: IncidentState) -> tuple[str, ...]:
    """What this move must be given; a reopen (resolved → open) must also say why, in ``note``."""
    reopening = source == S.RESOLVED and target in OPEN
    return REQUIRED_FOR.get(target, ()) + (("note",) if reopening else ())


# The verb each transition is called by on buttons and in the timeline.
VERBS: Final[Mapping[IncidentState, str]] = {
    S.ASSIGNED: "Assign",
    S.IN_PROGRESS: "Start work",
    S.ON_HOLD: "Put on hold",
    S.RESOLVED: "Resolve",
    S.CLOSED: "Confirm and close",
    S.CANCELLED: "Cancel",
}


def verb_for(source: IncidentState, target: IncidentState) -> str:
    if target == S.ASSIGNED and source != S.NEW:
        return "Reassign"
    if target == S.IN_PROGRESS and source == S.RESOLVED:
        return "Reopen"
    if target == S.IN_PROGRESS and source == S.ON_HOLD:
        return "Resume"
    return VERBS[target]
