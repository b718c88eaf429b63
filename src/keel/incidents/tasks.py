"""Background work on incidents: thin tasks that take ids or nothing and call actions."""

from datetime import timedelta

from django.conf import settings
from django.tasks import task

from keel.incidents.actions.escalation import sweep_escalations
from keel.incidents.actions.lifecycle import close_stale_resolved_incidents


@task()
def close_stale_resolved_incidents_task() -> int:
    return close_stale_resolved_incidents(older_than=timedelta(days=settings.KEEL_AUTO_CLOSE_DAYS))


@task()
def sweep_escalations_task() -> int:
    return sweep_escalations()
