"""The scheduler tick: enqueue each periodic job that is due, exactly once across all workers; and the
loop that ticks, beating the worker's heartbeat each time."""

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string

from keel.lib.database import Backoff, ride_out
from keel.scheduler.actions import beat, claim_run, ensure_job_row

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


def tick_forever(worker: str, stop: threading.Event, *, schedule: bool = True, backoff: Backoff | None = None) -> None:
    """Until ``stop`` is set, every ``KEEL_SCHEDULER_TICK_SECONDS``: beat this worker's heartbeat
    and, with ``schedule``, tick. A database outage is ridden out (lib/database.py); any other
    failure is logged and retried at the next tick."""
    backoff = backoff or Backoff()
    while not stop.is_set():
        try:
            ride_out(lambda: _beat_and_tick(worker, schedule), backoff=backoff, wait=stop.wait, default=None)
        except Exception:
            logger.exception("scheduler tick failed; retrying next tick")
        finally:
            close_old_connections()
            connection.close()  # a connection every 15 s is not worth holding between ticks
        stop.wait(settings.KEEL_SCHEDULER_TICK_SECONDS)


def _beat_and_tick(worker: str, schedule: bool) -> None:
    beat(worker, now=timezone.now())
    if schedule:
        tick(worker=worker)
