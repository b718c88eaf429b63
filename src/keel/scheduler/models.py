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
