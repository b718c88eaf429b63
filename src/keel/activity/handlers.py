"""Reactions of the activity layer to events from below it (listed in ``config/subscriptions.py``)."""

from keel.accounts.models import User
from keel.activity.actions import record_changes
from keel.cmdb.events import CMDBChanged


def record_cmdb_change(event: CMDBChanged) -> None:
    """Keep the audit rows of a CMDB change: who, when, each field's old and new value."""
    actor = User.objects.filter(pk=event.actor_id).first() if event.actor_id is not None else None
    record_changes(subject_type=event.subject_type, subject_id=event.subject_id, actor=actor, changes=event.changes)
