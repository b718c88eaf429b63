"""Background work on the database itself: thin tasks (safe to run twice, or on several workers)."""

from django.tasks import task

from keel.lib.statistics import analyze_stale_tables


@task()
def analyze_stale_tables_task() -> int:
    return len(analyze_stale_tables())
