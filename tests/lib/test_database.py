"""Riding out a database outage (lib/database.py): what counts as one, the back-off, and the log
that says once that the database went away and once that it came back."""

import logging
import sqlite3
from collections.abc import Callable

import pytest
from django.db import InterfaceError, OperationalError, connection

from keel.lib.database import Backoff, Outage, is_database_down, limit_statements, postgres, ride_out


class DriverError(Exception):
    """What psycopg raises, as far as Keel looks at it: a SQLSTATE (None for client-side failures)."""

    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _wrapped(error: Exception, cause: BaseException) -> Exception:
    error.__cause__ = cause  # as Django's DatabaseErrorWrapper raises it
    return error


def _failing(*errors: Exception, then: object = "done") -> Callable[[], object]:
    """A step that raises each of ``errors`` in turn, then returns ``then``."""
    pending = list(errors)

    def step() -> object:
        if pending:
            raise pending.pop(0)
        return then

    return step


def _highest(low: float, high: float) -> float:
    return high


@pytest.mark.parametrize(
    ("error", "down"),
    [
        (_wrapped(OperationalError("connection refused"), DriverError("connection refused", None)), True),
        (_wrapped(OperationalError("shutting down"), DriverError("shutting down", "57P03")), True),
        (_wrapped(OperationalError("server closed the connection"), DriverError("closed", "08006")), True),
        (_wrapped(OperationalError("canceling statement"), DriverError("statement timeout", "57014")), True),
        (_wrapped(OperationalError("unable to open database file"), sqlite3.OperationalError("unable to open")), True),
        (InterfaceError("connection already closed"), True),
        (_wrapped(RuntimeError("task failed"), OperationalError("connection refused")), True),
        (_wrapped(OperationalError("deadlock detected"), DriverError("deadlock detected", "40P01")), False),
        (_wrapped(OperationalError("could not serialize"), DriverError("serialization", "40001")), False),
        (ValueError("not a database error"), False),
    ],
    ids=lambda value: str(value)[:30] if isinstance(value, Exception) else str(value),
)
def test_an_outage_is_a_connection_error_not_a_deadlock_or_a_bug(error, down):
    assert is_database_down(error) is down


def test_the_backoff_doubles_from_half_a_second_up_to_thirty_seconds_and_starts_over_after_a_success():
    backoff = Backoff(jitter=_highest)

    first = [backoff.next() for _ in range(9)]
    backoff.reset()

    assert first == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]
    assert backoff.next() == 0.5


class Lowest:
    """A jitter that draws the lowest wait allowed, and notes every range it was given."""

    def __init__(self) -> None:
        self.ranges: list[tuple[float, float]] = []

    def __call__(self, low: float, high: float) -> float:
        self.ranges.append((low, high))
        return low


def test_each_wait_is_drawn_between_half_and_all_of_its_ceiling():
    jitter = Lowest()
    backoff = Backoff(jitter=jitter)

    waits = [backoff.next() for _ in range(3)]

    assert jitter.ranges == [(0.25, 0.5), (0.5, 1), (1, 2)]
    assert waits == [0.25, 0.5, 1]


def test_a_step_that_fails_for_the_database_waits_its_back_off_and_answers_the_default():
    waits: list[float] = []
    step = _failing(OperationalError("connection refused"), OperationalError("connection refused"))
    backoff = Backoff(jitter=_highest)

    answers = [ride_out(step, backoff=backoff, wait=waits.append, default="none", outage=Outage()) for _ in range(3)]

    assert answers == ["none", "none", "done"]
    assert waits == [0.5, 1]
    assert backoff.failures == 0, "a success starts the back-off over"


def test_any_other_failure_is_the_callers():
    step = _failing(ValueError("a bug"))

    with pytest.raises(ValueError, match="a bug"):
        ride_out(step, backoff=Backoff(), wait=lambda seconds: None, default=None, outage=Outage())


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends_whatever_the_number_of_loops(caplog):
    caplog.set_level(logging.WARNING, logger="keel.lib.database")
    outage = Outage(clock=iter([100.0, 112.5]).__next__)
    refused = OperationalError("connection refused\nIs the server running?")
    pump, tick = _failing(refused, refused), _failing(refused)

    for _ in range(3):
        for loop in (pump, tick):
            ride_out(loop, backoff=Backoff(), wait=lambda seconds: None, default=None, outage=outage)

    assert [record.getMessage() for record in caplog.records] == [
        "database unavailable (connection refused); retrying with back-off up to 30 s",
        "database available again after 12.5 s; resuming",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_step_that_fails_for_the_database_leaves_no_connection_open():
    connection.ensure_connection()

    ride_out(
        _failing(OperationalError("server closed the connection unexpectedly")),
        backoff=Backoff(),
        wait=lambda seconds: None,
        default=None,
        outage=Outage(),
    )

    assert connection.connection is None


def test_statement_timeouts_are_given_to_postgresql_when_it_connects(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "ENGINE", "django.db.backends.postgresql")
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", {"options": "-c search_path=keel"})

    limit_statements(2.5)

    assert connection.settings_dict["OPTIONS"]["options"] == "-c search_path=keel -c statement_timeout=2500"


def test_no_statement_timeout_when_it_is_zero(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "ENGINE", "django.db.backends.postgresql")
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", {})

    limit_statements(0)

    assert connection.settings_dict["OPTIONS"] == {}


@pytest.mark.skipif(not postgres(), reason="PostgreSQL's statement_timeout")
@pytest.mark.django_db(transaction=True)
def test_postgresql_cancels_a_statement_past_the_limit_and_refuses_connections_that_do_not_answer(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", dict(connection.settings_dict["OPTIONS"]))
    limit_statements(0.2)
    limited = connection.copy()
    try:
        with limited.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            shown = cursor.fetchone()
        with pytest.raises(OperationalError, match="statement timeout"), limited.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")
    finally:
        limited.close()

    assert shown == ("200ms",)
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] == 5
