"""Every periodic job Keel runs, in one list. The scheduler tick enqueues each when due."""

from datetime import timedelta

from keel.incidents.tasks import close_stale_resolved_incidents_task
from keel.scheduler.tick import Job

SCHEDULE = [
    Job(name="incidents.auto_close", every=timedelta(minutes=10), run=close_stale_resolved_incidents_task.enqueue),
]
