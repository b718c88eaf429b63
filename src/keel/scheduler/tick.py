"""The scheduler tick: enqueue each periodic job that is due, exactly once across all workers."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from keel.scheduler.models import PeriodicJob

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
        _ensure_row(job, now)
        claimed = PeriodicJob.objects.filter(name=job.name, next_run_at__lte=now).update(
            next_run_at=now + job.every, last_run_at=now, last_claimed_by=worker[:100]
        )
        if claimed:
            logger.info("scheduler: %s runs %s", worker, job.name)
            job.run()
            started.append(job.name)
    return started


def _ensure_row(job: Job, now: datetime) -> None:
    if PeriodicJob.objects.filter(name=job.name).exists():
        return
    try:
        with transaction.atomic():
            PeriodicJob.objects.create(name=job.name, next_run_at=now)
    except IntegrityError:
        pass  # another worker created it first
