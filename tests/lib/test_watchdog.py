"""The web server's guard against a frozen database (lib/watchdog.py): a statement past its
deadline has its connection's socket shut down, so the driver fails at once instead of waiting
for an answer that never comes."""

import socket
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import OperationalError, connection

from keel.lib.database import postgres
from keel.lib.watchdog import Watchdog
from tests.dbproxy import FreezableProxy


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _context(driver: socket.socket) -> dict[str, Any]:
    return {"connection": SimpleNamespace(connection=driver)}


def test_a_statement_past_its_deadline_has_its_socket_shut_down():
    ours, server = socket.socketpair()
    clock = Clock()
    watchdog = Watchdog(limit=30, clock=clock)

    def execute(sql: str, params: object, many: bool, context: object) -> tuple[int, int, bytes]:
        clock.now = 29.9
        early = watchdog.cut_overdue()
        clock.now = 30.0
        late = watchdog.cut_overdue()
        return early, late, server.recv(1)  # the server's end sees the connection end

    with ours, server:
        answer = watchdog.guard(execute, "SELECT 1", None, False, _context(ours))

    assert answer == (0, 1, b"")


def test_a_statement_that_ended_is_no_longer_watched_whether_it_succeeded_or_failed():
    ours, server = socket.socketpair()
    clock = Clock()
    watchdog = Watchdog(limit=30, clock=clock)

    def failing(sql: str, params: object, many: bool, context: object) -> None:
        raise OperationalError("no such table")

    with ours, server:
        watchdog.guard(lambda *args: "rows", "SELECT 1", None, False, _context(ours))
        with pytest.raises(OperationalError):
            watchdog.guard(failing, "SELECT 1", None, False, _context(ours))
        clock.now = 1000
        cut = watchdog.cut_overdue()
        ours.sendall(b"x")
        still_open = server.recv(1)

    assert cut == 0
    assert still_open == b"x"


def test_a_shorter_deadline_applies_inside_its_block_and_to_this_thread_only():
    ours, server = socket.socketpair()
    clock = Clock()
    watchdog = Watchdog(limit=30, clock=clock)
    seen: list[int] = []

    def execute(sql: str, params: object, many: bool, context: object) -> None:
        clock.now = 2.0
        seen.append(watchdog.cut_overdue())

    with ours, server:
        with watchdog.deadline(2):
            watchdog.guard(execute, "SELECT 1", None, False, _context(ours))
        clock.now = 0.0
        other, peer = socket.socketpair()
        with other, peer:
            watchdog.guard(execute, "SELECT 1", None, False, _context(other))

    assert seen == [1, 0]


@pytest.mark.skipif(not postgres(), reason="a PostgreSQL server that stops answering")
@pytest.mark.django_db(transaction=True)
def test_a_statement_a_frozen_server_never_answers_fails_at_its_deadline_and_the_next_connection_works():
    settings_dict = connection.settings_dict
    with FreezableProxy((settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432))) as proxy:
        through = connection.copy()
        through.settings_dict.update(HOST="127.0.0.1", PORT=str(proxy.port))
        watchdog = Watchdog(limit=0.5, every=0.1)
        through.ensure_connection()
        watchdog.install(through)
        proxy.freeze()
        rescue = threading.Timer(15, proxy.thaw)  # were the watchdog to fail, the test fails instead of hanging
        rescue.start()
        try:
            with pytest.raises(OperationalError), through.cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            rescued = not rescue.is_alive()
            rescue.cancel()
            proxy.thaw()
        through.close()  # what Django does at the end of the request: errors_occurred, and the connection is unusable
        with through.cursor() as cursor:
            cursor.execute("SELECT 2")
            after = cursor.fetchone()
        through.close()
        watchdog.stop()

    assert not rescued, "the statement waited until the server thawed, 15 s after its 0.5 s deadline"
    assert after == (2,)
