"""Background work on SLAs: thin tasks that call the sweep and the holiday extension (safe to run twice,
or at once)."""

from django.tasks import task

from keel.sla.actions.setup import extend_public_holidays
from keel.sla.actions.sweep import sweep


@task()
def sweep_task() -> int:
    return sweep()


@task()
def extend_public_holidays_task() -> int:
    return extend_public_holidays()
