"""A pump rides out a database outage (scheduler/pumps.py, lib/database.py): it backs off, logs the
outage once, and goes on pumping when the database is back."""

import logging
import threading

import pytest
from django.db import OperationalError

from keel.lib.database import OUTAGE, Backoff
from keel.scheduler.pumps import Pump, run_forever


@pytest.fixture(autouse=True)
def _no_outage_yet(monkeypatch):
    monkeypatch.setattr(OUTAGE, "since", None)


class Batches:
    """A pump's batches: each item of ``script`` is an error to raise or a count to return; the
    loop is told to stop once the script is played."""

    def __init__(self, stop: threading.Event, *script: int | Exception) -> None:
        self.stop, self.script, self.handled = stop, list(script), 0

    def __call__(self) -> int:
        step = self.script.pop(0)
        if not self.script:
            self.stop.set()
        if isinstance(step, Exception):
            raise step
        self.handled += step
        return step


def test_a_pump_that_loses_the_database_backs_off_logs_once_and_resumes(caplog):
    caplog.set_level(logging.WARNING)
    stop = threading.Event()
    refused = OperationalError("connection refused")
    batches = Batches(stop, 5, refused, refused, refused, 7, 0)
    backoff = Backoff(first=0.01, jitter=lambda low, high: high)

    run_forever(Pump(name="test", run=batches, idle=0.01), stop, backoff=backoff)

    assert batches.handled == 12, "the batches before and after the outage were handled"
    assert backoff.failures == 0
    assert [record.getMessage() for record in caplog.records] == [
        "database unavailable (connection refused); retrying with back-off up to 30 s",
        caplog.records[1].getMessage(),
    ]
    assert caplog.records[1].getMessage().startswith("database available again after ")


def test_a_pump_that_fails_otherwise_logs_the_error_and_goes_on(caplog):
    stop = threading.Event()
    batches = Batches(stop, ValueError("a bug"), 2, 0)

    run_forever(Pump(name="test", run=batches, idle=0.01), stop)

    assert batches.handled == 2
    assert "pump test failed; retrying" in caplog.text
    assert "database unavailable" not in caplog.text
