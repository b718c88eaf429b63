"""Facts about the database Keel runs on, and how Keel's processes ride out its outages.

A process's loops that talk to the database (the task loop, the pumps, the scheduler tick) survive
an outage the same way: on a connection error they close their connections, wait (``Backoff``:
exponential with jitter, up to 30 s) and try again (``ride_out``). The process logs the outage once,
when its first loop sees it, and its end once, when the first loop gets through again.

A frozen database (a stopped host, a SIGSTOPped server) answers nothing and refuses nothing: the
kernel still acknowledges what is sent. Connections give up after ``KEEL_DB_CONNECT_TIMEOUT``
(settings.py), statements after the server's ``statement_timeout`` (``limit_statements``), and the
web server's statements also after the client-side watchdog's limit (``lib/watchdog.py``).
"""

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator

from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections

logger = logging.getLogger(__name__)

# SQLSTATE class 40 (deadlock, serialization failure) says "run the transaction again now", not
# "the database is unreachable".
_RETRY_AT_ONCE = "40"


def postgres() -> bool:
    return connection.vendor == "postgresql"


def is_database_down(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the database cannot be reached or used right now:
    connection refused or lost, a server shutting down or starting, a timeout. A deadlock or a
    serialization failure is not an outage."""
    for cause in _chain(error):
        if isinstance(cause, InterfaceError):
            return True
        if isinstance(cause, OperationalError):
            driver_error = cause.__cause__
            sqlstate = getattr(driver_error, "sqlstate", None) or ""
            return not sqlstate.startswith(_RETRY_AT_ONCE)
    return False


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def close_connections() -> None:
    """Drop this thread's connections without asking them anything: after an outage they are
    broken, and the next query opens a new one."""
    for each in connections.all(initialized_only=True):
        try:
            each.close()
        except DatabaseError:
            each.connection = None  # closing a broken connection can fail; forget it all the same


class Backoff:
    """How long one loop waits after each failed attempt in a row: ``first`` seconds, doubling up
    to ``most``, each wait drawn between half and all of that (jitter, so that the workers of many
    hosts do not come back in step). ``reset`` after a success."""

    def __init__(
        self,
        *,
        first: float = 0.5,
        most: float = 30.0,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.first, self.most, self.jitter = first, most, jitter
        self.failures = 0

    def next(self) -> float:
        ceiling = min(self.most, self.first * 2**self.failures)
        self.failures += 1
        return self.jitter(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0


class Outage:
    """One process's view of the database being down, shared by its loops, so that an outage is
    logged once when it starts and once when it ends, whatever the number of loops that see it."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.since: float | None = None
        self._lock = threading.Lock()

    def failed(self, error: BaseException, *, most: float) -> None:
        with self._lock:
            if self.since is not None:
                return
            self.since = self.clock()
        logger.warning("database unavailable (%s); retrying with back-off up to %g s", _first_line(error), most)

    def recovered(self) -> None:
        if self.since is None:  # the common case, read without the lock
            return
        with self._lock:
            if self.since is None:
                return
            lasted, self.since = self.clock() - self.since, None
        logger.warning("database available again after %.1f s; resuming", lasted)


OUTAGE = Outage()  # this process's


def ride_out[T](
    step: Callable[[], T],
    *,
    backoff: Backoff,
    wait: Callable[[float], object],
    default: T,
    outage: Outage = OUTAGE,
) -> T:
    """Run one step of a loop. If the database is down, close the connections, wait the back-off
    (``wait`` returns early when the loop is told to stop) and answer ``default``; any other error
    is the caller's."""
    try:
        result = step()
    except Exception as error:
        if not is_database_down(error):
            raise
        close_connections()
        outage.failed(error, most=backoff.most)
        wait(backoff.next())
        return default
    backoff.reset()
    outage.recovered()
    return result


def limit_statements(seconds: float) -> None:
    """Have PostgreSQL cancel any statement of this process that runs longer than ``seconds``
    (0: no limit). Call before the process opens its first connection."""
    if seconds <= 0:
        return
    for alias in connections:
        settings_dict = connections[alias].settings_dict
        if settings_dict["ENGINE"] != "django.db.backends.postgresql":
            continue
        options = settings_dict.setdefault("OPTIONS", {})
        given = str(options.get("options", ""))
        options["options"] = f"{given} -c statement_timeout={round(seconds * 1000)}".strip()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
