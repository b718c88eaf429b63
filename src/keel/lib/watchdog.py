"""The web server's guard against a frozen database.

A frozen PostgreSQL server (its host stopped, the process SIGSTOPped, a network that drops without
resetting) enforces no ``statement_timeout``, and the kernel keeps acknowledging what is sent, so a
query waits for an answer forever and, one by one, every web thread with it. The watchdog bounds
that wait: every statement records its connection and its deadline in a dict as it starts (an
execute wrapper: a dict set and delete, no thread per query), and one thread per process looks at
the dict twice a second and shuts down the socket of a statement past its deadline. psycopg then
raises ``OperationalError`` at once, the request fails as any request does while the database is
down, and Django drops the connection at the end of it (``errors_occurred``), so the next request
connects anew.

SQLite needs none: its ``timeout`` (the busy timeout) already bounds a wait for a lock.
"""

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

logger = logging.getLogger(__name__)

GRACE = 5.0  # seconds past the server's own statement timeout, which normally ends a slow statement first
EVERY = 0.5  # seconds between the watchdog's looks


class Watchdog:
    """Shuts down the socket of any statement of this process that runs past ``limit`` seconds."""

    def __init__(self, *, limit: float, every: float = EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.every, self.clock = limit, every, clock
        self._running: dict[int, tuple[float, Any]] = {}  # thread → (deadline, the driver's connection)
        # Taken to remove a statement that ended and to cut overdue ones, so that a statement that
        # ended is never cut; adding one needs no lock (a dict item set is atomic).
        self._lock = threading.Lock()
        self._limit: ContextVar[float | None] = ContextVar("statement_limit", default=None)
        self._watching_in = 0  # the process whose thread watches (granian forks its workers)
        self._stopped = threading.Event()

    def guard(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Mapping[str, Any]) -> Any:
        """The execute wrapper (Django's ``connection.execute_wrappers``)."""
        thread = threading.get_ident()
        self._running[thread] = (self.clock() + (self._limit.get() or self.limit), context["connection"].connection)
        try:
            return execute(sql, params, many, context)
        finally:
            with self._lock:
                del self._running[thread]

    @contextlib.contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        """A shorter limit for this thread's statements inside the block (a readiness probe's)."""
        token = self._limit.set(seconds)
        try:
            yield
        finally:
            self._limit.reset(token)

    def cut_overdue(self) -> int:
        """Shut down the sockets of the statements past their deadline; how many."""
        now = self.clock()
        cut = 0
        with self._lock:
            for deadline, driver in list(self._running.values()):
                if deadline <= now and _shut_down(driver):
                    cut += 1
        return cut

    def install(self, wrapper: BaseDatabaseWrapper) -> None:
        """Guard this connection's statements, and make sure this process has its watching thread."""
        if self.guard not in wrapper.execute_wrappers:
            wrapper.execute_wrappers.append(self.guard)
        pid = os.getpid()
        if self._watching_in != pid:
            self._watching_in = pid
            threading.Thread(target=self._watch, name="keel-query-watchdog", daemon=True).start()

    def stop(self) -> None:
        """End the watching thread (tests; a process's watchdog watches until the process ends)."""
        self._stopped.set()

    def _watch(self) -> None:
        while not self._stopped.wait(self.every):
            if self.cut_overdue():
                logger.warning("a database statement ran past its deadline; its connection was closed")


def _shut_down(driver: Any) -> bool:
    try:
        duplicate = socket.socket(fileno=os.dup(driver.fileno()))
    except (OSError, ValueError, AttributeError):
        return False  # already closed
    with duplicate:
        try:
            duplicate.shutdown(socket.SHUT_RDWR)  # acts on the socket itself, not only on our copy
        except OSError:
            return False
    return True


WATCHDOG: Watchdog | None = None  # this process's, once ``watch_statements`` installed it


def watch_statements(seconds: float) -> Watchdog | None:
    """Guard every PostgreSQL connection this process opens from now on with a watchdog that
    closes a statement's connection ``seconds`` after the statement started (0: no watchdog)."""
    global WATCHDOG  # noqa: PLW0603  (one per process, installed once at start-up)
    if seconds <= 0 or WATCHDOG is not None:
        return WATCHDOG
    watchdog = Watchdog(limit=seconds)

    def on_connect(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
        if connection.vendor == "postgresql":
            watchdog.install(connection)

    connection_created.connect(on_connect, weak=False, dispatch_uid="keel-query-watchdog")
    for each in connections.all(initialized_only=True):
        if each.connection is not None and each.vendor == "postgresql":
            watchdog.install(each)
    WATCHDOG = watchdog
    return watchdog


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """This thread's statements inside the block are cut after ``seconds`` (when a watchdog runs)."""
    if WATCHDOG is None:
        yield
        return
    with WATCHDOG.deadline(seconds):
        yield
