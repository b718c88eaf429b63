"""Background work on SLA clocks: thin tasks that call the sweep (safe to run twice, or at once)."""

from django.tasks import task

from keel.sla.sweep import sweep


@task()
def sweep_task() -> int:
    return sweep()
