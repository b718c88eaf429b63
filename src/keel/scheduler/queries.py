"""Reads on the scheduler's bookkeeping: whether any worker is alive (``/readyz``)."""

from datetime import datetime

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from keel.lib.health import Readiness
from keel.scheduler.models import WorkerHeartbeat


def freshest_heartbeat() -> datetime | None:
    """When the worker that beat last did so; None when no worker ever has."""
    latest: datetime | None = WorkerHeartbeat.objects.aggregate(latest=Max("beat_at"))["latest"]
    return latest


def workers_readiness() -> Readiness:
    """Ready when some worker's heartbeat is at most ``KEEL_READY_WORKER_SECONDS`` old (0: not checked)."""
    most = settings.KEEL_READY_WORKER_SECONDS
    if most <= 0:
        return Readiness(True, "not checked (KEEL_READY_WORKER_SECONDS is 0)")
    latest = freshest_heartbeat()
    if latest is None:
        return Readiness(False, "no worker has ever run: start keel worker", {"seconds": None, "most": most})
    age = round((timezone.now() - latest).total_seconds(), 1)
    if age > most:
        message = f"the last worker heartbeat is {age:g} s old (at most {most:g}): are the workers running?"
        return Readiness(False, message, {"seconds": age, "most": most})
    return Readiness(True, f"a worker beat {age:g} s ago", {"seconds": age, "most": most})
