"""The demo's escalation policies: pages for monitoring incidents and P1s and P2s nobody answers, the
manager told as an SLA runs out. Made after the history is played; the sweep that follows fires
what the open incidents have reached, so the inboxes of the demo's managers show escalations and
pages."""

from datetime import datetime
from typing import Any, Final

from keel.escalation.actions import create_policy
from keel.incidents.actions.escalation import sweep_escalations

PAGE_ON_CALL: Final = {"when": "no_response", "minutes": 0, "notify": ["on_call"], "page": True}
AT_BREACH: Final = {
    "when": "sla",
    "clock": "resolution",
    "percent": 100,
    "notify": ["managers_manager", "incident_managers"],
}


def _unanswered(minutes: int) -> dict[str, Any]:
    return {
        "when": "unacknowledged",
        "minutes": minutes,
        "notify": ["on_call_secondary", "group_manager"],
        "page": True,
    }


POLICIES: Final[tuple[dict[str, Any], ...]] = (
    {
        "name": "Monitoring: page whoever is on call",
        "position": 5,
        "channels": ["monitoring"],
        "description": "An incident opened from an alert pages the on-call person, then the secondary.",
        "steps": [PAGE_ON_CALL, _unanswered(10)],
    },
    {
        "name": "P1 and P2: someone on it fast",
        "position": 10,
        "priorities": [1, 2],
        "description": "Page the on-call person at once, the secondary and the manager if nobody answers.",
        "steps": [PAGE_ON_CALL, _unanswered(5), AT_BREACH],
    },
    {
        "name": "Every other incident: SLA running out",
        "position": 100,
        "steps": [{"when": "sla", "clock": "resolution", "percent": 75, "notify": ["group_manager"]}, AT_BREACH],
    },
)


def create_escalation_policies(*, now: datetime) -> int:
    """The policies; returns how many steps fired on the demo's open incidents."""
    for fields in POLICIES:
        create_policy(actor=None, fields=fields)
    return sweep_escalations(now=now)
