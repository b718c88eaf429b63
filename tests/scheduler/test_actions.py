"""The lease rows of periodic jobs: made once, each run claimed by one worker."""

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.scheduler.actions import claim_run, ensure_job_row
from keel.scheduler.models import PeriodicJob

pytestmark = pytest.mark.django_db


def test_a_job_row_is_made_once_due_at_once() -> None:
    now = timezone.now()

    ensure_job_row("test.job", now=now)
    ensure_job_row("test.job", now=now + timedelta(hours=1))

    assert list(PeriodicJob.objects.values_list("name", "next_run_at")) == [("test.job", now)]


def test_a_run_is_claimed_by_one_worker_until_the_period_has_passed() -> None:
    now = timezone.now()
    ensure_job_row("test.job", now=now)
    every = timedelta(minutes=5)

    first = claim_run("test.job", every=every, worker="w1", now=now)
    second = claim_run("test.job", every=every, worker="w2", now=now)
    later = claim_run("test.job", every=every, worker="w2", now=now + every)

    assert (first, second, later) == (True, False, True)
    row = PeriodicJob.objects.get()
    assert (row.last_claimed_by, row.last_run_at, row.next_run_at) == ("w2", now + every, now + 2 * every)
