"""Pumps: work a worker does continuously while there is any, instead of once per tick.

A pump is a function that does one batch and says how much it did; the worker calls it again at
once while it finds work and waits ``idle`` seconds when it finds none. The list is in
config/pumps.py (named by ``KEEL_PUMPS``). Each pump must be safe on several workers at once.

A helper worker (``keel worker --helper``: the extra workers of ``keel serve``) runs a pump's
``helper`` variant instead, which works only when a backlog has built up. On a small machine the
web server, the database and the workers share the CPU: a second worker polling for the few
payloads the first one keeps up with costs the web server more than it gains.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

from keel.lib.database import Backoff, ride_out

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pump:
    name: str
    run: Callable[[], int]  # one batch; returns how many items it handled (0: nothing to do)
    idle: float = 0.25
    helper: Callable[[], int] | None = None  # what a helper worker runs instead (None: ``run``)


@cache
def pumps() -> Sequence[Pump]:
    configured: Sequence[Pump] = import_string(settings.KEEL_PUMPS)
    return configured


def drain(pump: Pump, *, limit: int = 10_000) -> int:
    """Run the pump until it finds nothing to do (or has run ``limit`` batches); returns the items handled."""
    handled = 0
    for _ in range(limit):
        done = pump.run()
        if done == 0:
            break
        handled += done
    return handled


def run_forever(pump: Pump, stop: threading.Event, *, helper: bool = False, backoff: Backoff | None = None) -> None:
    """Pump until ``stop`` is set. A database outage is ridden out (lib/database.py); any other
    failure is logged and the pump goes on."""
    run = pump.helper if helper and pump.helper is not None else pump.run
    backoff = backoff or Backoff()
    while not stop.is_set():
        try:
            done = ride_out(run, backoff=backoff, wait=stop.wait, default=0)
        except Exception:
            logger.exception("pump %s failed; retrying", pump.name)
            done = 0
        finally:
            close_old_connections()
        if done == 0:
            connection.close()  # an idle pump holds no connection
            stop.wait(pump.idle)
