from django.db import models


class PeriodicJob(models.Model):
    """The next due time of one periodic job (auto-close, SLA sweep…).

    Several workers tick at once; the one whose conditional UPDATE moves ``next_run_at`` forward
    owns that run, so each run is enqueued exactly once without a singleton process.
    """

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_claimed_by = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """A ``keel worker`` saying it is alive: written on every scheduler tick, read by ``/readyz``.

    Keyed by the worker's id (host and process id), so a restarted worker starts a new row; rows
    of workers gone for a day are removed when a worker starts.
    """

    worker = models.CharField(max_length=100, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
