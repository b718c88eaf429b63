import threading
from datetime import timedelta

import pytest
from django.db import connection

from keel.scheduler.models import PeriodicJob
from keel.scheduler.tick import Job, tick


def _job(runs: list[str]) -> Job:
    return Job(name="test.job", every=timedelta(minutes=5), run=lambda: runs.append("ran"))


def test_a_due_job_runs_once_per_period_across_workers(db):
    runs: list[str] = []
    job = _job(runs)

    first = tick(worker="w1", jobs=[job])
    second = tick(worker="w2", jobs=[job])

    assert (first, second, runs) == (["test.job"], [], ["ran"])
    assert PeriodicJob.objects.get(name="test.job").last_claimed_by == "w1"


def test_the_job_runs_again_when_its_period_has_passed(db):
    runs: list[str] = []
    job = _job(runs)
    tick(worker="w1", jobs=[job])
    PeriodicJob.objects.update(next_run_at=PeriodicJob.objects.get().next_run_at - timedelta(minutes=6))

    tick(worker="w2", jobs=[job])

    assert runs == ["ran", "ran"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_claim_each_run_exactly_once():
    runs: list[str] = []
    lock = threading.Lock()
    job = Job(name="test.concurrent", every=timedelta(minutes=5), run=lambda: _append(lock, runs))
    barrier = threading.Barrier(4)

    def worker(name: str) -> None:
        barrier.wait()
        for _ in range(5):
            tick(worker=name, jobs=[job])
        connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert runs == ["ran"]


def _append(lock: threading.Lock, runs: list[str]) -> None:
    with lock:
        runs.append("ran")


def test_the_schedule_enqueues_every_periodic_job(db):
    assert tick(worker="w1") == [
        "incidents.auto_close",
        "sla.sweep",
        "sla.extend_public_holidays",
        "integrations.sweep",
        "db.analyze_stale_tables",
        "idempotency.purge_keys",
    ]
