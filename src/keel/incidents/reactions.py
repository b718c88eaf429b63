"""How incidents react to events from lower layers (listed in ``config/subscriptions.py``)."""

from keel.activity.actions import add_entry
from keel.activity.models import EntryKind
from keel.incidents.actions._record import SUBJECT
from keel.sla.events import SlaBreached, SlaWarning


def note_sla_warning(event: SlaWarning) -> None:
    """Put the warning on the incident's timeline (internal), so the record says when it fired."""
    add_entry(
        subject_type=SUBJECT,
        subject_id=event.incident_id,
        actor=None,
        kind=EntryKind.SYSTEM,
        summary=f"SLA warning: {event.percent}% of the {event.name} target used",
        is_public=False,
        data={"sla": True, "clock_id": event.clock_id, "percent": event.percent},
        at=event.at,
    )


def note_sla_breach(event: SlaBreached) -> None:
    why = " (after a recalculation)" if event.on_change else ""
    add_entry(
        subject_type=SUBJECT,
        subject_id=event.incident_id,
        actor=None,
        kind=EntryKind.SYSTEM,
        summary=f"SLA breached: the {event.name} target passed{why}",
        is_public=False,
        data={"sla": True, "clock_id": event.clock_id, "breached": True},
        at=event.at,
    )
