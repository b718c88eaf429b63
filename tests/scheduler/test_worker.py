"""``keel worker`` survives the database going away: its task loop is started again after an outage
(django-tasks-db's own loop raises out on one), and a real worker process whose database stops and
starts again logs the outage once, its end once, and goes on beating its heartbeat."""

import logging
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import OperationalError, connection

from keel.lib.database import OUTAGE, Backoff, postgres
from keel.scheduler.management.commands.worker import run_tasks
from keel.scheduler.models import WorkerHeartbeat
from tests.dbproxy import FreezableProxy
from tests.live import KEEL, wait_for


class FakeWorker:
    """django-tasks-db's Worker as far as ``run_tasks`` uses it: ``run`` raises each error in turn."""

    def __init__(self, *errors: Exception) -> None:
        self.errors, self.runs, self.startup_delay = list(errors), 0, True

    def run(self) -> None:
        self.runs += 1
        if self.errors:
            raise self.errors.pop(0)


def test_the_task_loop_is_started_again_after_an_outage_without_its_startup_delay(monkeypatch, caplog):
    monkeypatch.setattr(OUTAGE, "since", None)
    caplog.set_level(logging.WARNING)
    refused = OperationalError("connection refused")
    worker = FakeWorker(refused, refused)

    run_tasks(worker, backoff=Backoff(first=0.01))

    assert worker.runs == 3
    assert worker.startup_delay is False
    assert len(caplog.records) == 2


def test_a_task_loop_failing_otherwise_ends_the_worker_for_keel_serve_to_start_again():
    worker = FakeWorker(ValueError("a bug"))

    with pytest.raises(ValueError, match="a bug"):
        run_tasks(worker, backoff=Backoff(first=0.01))


@pytest.mark.skipif(not postgres(), reason="a PostgreSQL server that stops and starts again")
@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_database_stops_and_starts_again_logs_it_once_and_carries_on(tmp_path: Path):
    settings_dict = connection.settings_dict
    target = (settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432))
    with FreezableProxy(target) as proxy:
        url = f"postgres://{settings_dict['USER']}@127.0.0.1:{proxy.port}/{settings_dict['NAME']}"
        env = {**os.environ, "DATABASE_URL": url, "KEEL_VAR_DIR": str(tmp_path), "KEEL_SCHEDULER_TICK_SECONDS": "0.2"}
        log = (tmp_path / "worker.log").open("wb")
        worker = subprocess.Popen([KEEL, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for("the worker's first heartbeat", WorkerHeartbeat.objects.exists, timeout=60)
            proxy.stop()
            time.sleep(2)
            back_at = time.time()
            proxy.start()
            beat = wait_for(
                "a heartbeat after the outage",
                lambda: WorkerHeartbeat.objects.filter(beat_at__gt=datetime.fromtimestamp(back_at, tz=UTC)).exists(),
                timeout=30,
            )
            wait_for("the worker to say so", lambda: "available again" in (tmp_path / "worker.log").read_text())
            alive = worker.poll() is None
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
            log.close()
    printed = (tmp_path / "worker.log").read_text()

    assert alive and beat
    assert printed.count("database unavailable") == 1, printed
    assert printed.count("database available again") == 1, printed
    assert worker.returncode == 0
