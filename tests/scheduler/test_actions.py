"""The lease rows of periodic jobs: made once, each run claimed by one worker; and the workers' heartbeats."""

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.scheduler.actions import HEARTBEATS_KEPT, beat, claim_run, ensure_job_row
from keel.scheduler.models import PeriodicJob, WorkerHeartbeat

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


def test_a_worker_s_heartbeat_is_one_row_moved_forward_by_each_beat() -> None:
    now = timezone.now()

    beat("host-1", now=now)
    beat("host-1", now=now + timedelta(seconds=15))
    beat("host-2", now=now + timedelta(seconds=20))

    assert sorted(WorkerHeartbeat.objects.values_list("worker", "beat_at")) == [
        ("host-1", now + timedelta(seconds=15)),
        ("host-2", now + timedelta(seconds=20)),
    ]


def test_a_starting_worker_removes_the_heartbeats_of_workers_gone_for_a_day() -> None:
    now = timezone.now()
    beat("gone", now=now - HEARTBEATS_KEPT - timedelta(seconds=1))
    beat("recent", now=now - HEARTBEATS_KEPT + timedelta(minutes=1))

    beat("new", now=now)

    assert sorted(WorkerHeartbeat.objects.values_list("worker", flat=True)) == ["new", "recent"]
