"""The scheduler tick: enqueue each periodic job that is due, exactly once across all workers."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from keel.scheduler.actions import claim_run, ensure_job_row

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], object]  # enqueues the job's task; must be cheap


@cache
def _schedule() -> Sequence[Job]:
    jobs: Sequence[Job] = import_string(settings.KEEL_SCHEDULE)
    return jobs


def tick(*, worker: str, jobs: Sequence[Job] | None = None) -> list[str]:
    """Claim and start every due job; returns the names this worker started."""
    started = []
    now = timezone.now()
    for job in _schedule() if jobs is None else jobs:
        ensure_job_row(job.name, now=now)
        if claim_run(job.name, every=job.every, worker=worker, now=now):
            logger.info("scheduler: %s runs %s", worker, job.name)
            job.run()
            started.append(job.name)
    return started
