"""The scheduler's writes: each periodic job's lease row (``PeriodicJob``), claimed by one worker a
run, and each worker's heartbeat (``WorkerHeartbeat``).

Not audited: leases and heartbeats are the workers' bookkeeping, not changes anyone made.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from keel.scheduler.models import PeriodicJob, WorkerHeartbeat

HEARTBEATS_KEPT = timedelta(days=1)


def ensure_job_row(name: str, *, now: datetime) -> None:
    """Give the job its lease row, due now, unless it has one (another worker may create it first)."""
    if PeriodicJob.objects.filter(name=name).exists():
        return
    try:
        with transaction.atomic():
            PeriodicJob.objects.create(name=name, next_run_at=now)
    except IntegrityError:
        pass  # another worker created it first


def claim_run(name: str, *, every: timedelta, worker: str, now: datetime) -> bool:
    """Take this run of a due job for ``worker``: the conditional UPDATE that moves ``next_run_at``
    forward succeeds for one worker only. False when it is not due or another worker took it."""
    claimed = PeriodicJob.objects.filter(name=name, next_run_at__lte=now).update(
        next_run_at=now + every, last_run_at=now, last_claimed_by=worker[:100]
    )
    return bool(claimed)


def beat(worker: str, *, now: datetime) -> None:
    """Record that ``worker`` is alive at ``now``: one UPDATE a tick; a worker's first beat creates
    its row and removes those of workers that have not beaten for ``HEARTBEATS_KEPT``."""
    if WorkerHeartbeat.objects.filter(worker=worker[:100]).update(beat_at=now):
        return
    WorkerHeartbeat.objects.filter(beat_at__lt=now - HEARTBEATS_KEPT).delete()
    try:
        with transaction.atomic():
            WorkerHeartbeat.objects.create(worker=worker[:100], beat_at=now)
    except IntegrityError:
        pass  # the same worker id beat from another thread first
