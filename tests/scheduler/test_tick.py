import logging
import threading
from datetime import timedelta
from functools import partial

import pytest
from django.db import OperationalError

from keel.lib.database import OUTAGE, Backoff
from keel.scheduler import tick as ticking
from keel.scheduler.models import PeriodicJob, WorkerHeartbeat
from keel.scheduler.tick import Job, tick, tick_forever
from tests.threads import at_once


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

    def worker(name: str) -> None:
        for _ in range(5):
            tick(worker=name, jobs=[job])

    at_once(*(partial(worker, f"w{i}") for i in range(4)))

    assert runs == ["ran"]


def _append(lock: threading.Lock, runs: list[str]) -> None:
    with lock:
        runs.append("ran")


def test_the_schedule_enqueues_every_periodic_job(db):
    assert tick(worker="w1") == [
        "incidents.auto_close",
        "sla.sweep",
        "incidents.escalate",
        "sla.extend_public_holidays",
        "integrations.sweep",
        "accounts.forget_sign_in_failures",
        "accounts.forget_expired_sessions",
        "db.analyze_stale_tables",
        "idempotency.purge_keys",
    ]


class Flaky:
    """Stands in for a function: raises each of ``errors`` in turn, then calls ``real``; the loop
    is told to stop once ``real`` has been called."""

    def __init__(self, real, stop: threading.Event, *errors: Exception) -> None:
        self.real, self.stop, self.errors, self.calls = real, stop, list(errors), 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        self.stop.set()
        return self.real(*args, **kwargs)


@pytest.mark.django_db(transaction=True)
def test_the_tick_loop_beats_the_heartbeat_and_rides_out_an_outage(settings, monkeypatch, caplog):
    settings.KEEL_SCHEDULER_TICK_SECONDS = 0.01
    monkeypatch.setattr(OUTAGE, "since", None)
    caplog.set_level(logging.WARNING)
    stop = threading.Event()
    refused = OperationalError("connection refused")
    beat = Flaky(ticking.beat, stop, refused, refused)
    monkeypatch.setattr(ticking, "beat", beat)

    tick_forever("host-7", stop, schedule=False, backoff=Backoff(first=0.01))

    assert beat.calls == 3
    assert list(WorkerHeartbeat.objects.values_list("worker", flat=True)) == ["host-7"]
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, "once when it went, once when it came back"
    assert messages[0] == "database unavailable (connection refused); retrying with back-off up to 30 s"
    assert messages[1].startswith("database available again after ")


@pytest.mark.django_db(transaction=True)
def test_the_tick_loop_ticks_the_schedule_unless_told_not_to(settings, monkeypatch):
    settings.KEEL_SCHEDULER_TICK_SECONDS = 0.01
    ticked: list[str] = []
    stop = threading.Event()
    monkeypatch.setattr(ticking, "tick", Flaky(lambda *, worker: ticked.append(worker), stop))

    tick_forever("host-8", stop)

    assert ticked == ["host-8"]


@pytest.mark.django_db(transaction=True)
def test_a_tick_that_fails_otherwise_is_logged_and_tried_again_at_the_next_tick(settings, monkeypatch, caplog):
    settings.KEEL_SCHEDULER_TICK_SECONDS = 0.01
    stop = threading.Event()
    beat = Flaky(lambda worker, *, now: None, stop, ValueError("a bug"))
    monkeypatch.setattr(ticking, "beat", beat)

    tick_forever("host-9", stop, schedule=False)

    assert beat.calls == 2
    assert "scheduler tick failed; retrying next tick" in caplog.text
