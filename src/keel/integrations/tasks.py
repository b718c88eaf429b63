"""Background work on alerts: thin tasks (safe to run twice, or on several workers at once)."""

from django.tasks import task

from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.sweep import sweep_alerts


@task()
def sweep_alerts_task() -> int:
    swept = sweep_alerts()
    return swept.expired + swept.steadied + len(swept.decided.opened)


@task()
def process_pending_task() -> int:
    """What the worker's pump does continuously; also a task, for a backlog drained on demand."""
    return process_pending().payloads
