"""How incidents react to events from lower layers (listed in ``config/subscriptions.py``)."""

from collections.abc import Sequence

from keel.activity.actions import SystemEntry, add_system_entries_of
from keel.incidents.actions._record import SUBJECT
from keel.lib.events import batched
from keel.sla.events import SlaBreached, SlaWarning


@batched
def note_sla_events(events: Sequence[SlaWarning | SlaBreached]) -> None:
    """Put each warning and breach on its incident's timeline (internal), so the record says when it
    fired; a sweep's in one statement."""
    add_system_entries_of([_entry(event) for event in events])


def _entry(event: SlaWarning | SlaBreached) -> SystemEntry:
    if isinstance(event, SlaWarning):
        summary = f"SLA warning: {event.percent}% of the {event.name} target used"
        data: dict[str, object] = {"sla": True, "clock_id": event.clock_id, "percent": event.percent}
    else:
        why = " (after a recalculation)" if event.on_change else ""
        summary = f"SLA breached: the {event.name} target passed{why}"
        data = {"sla": True, "clock_id": event.clock_id, "breached": True}
    return SystemEntry(subject_type=SUBJECT, subject_id=event.incident_id, summary=summary, data=data, at=event.at)
