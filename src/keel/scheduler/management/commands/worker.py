"""``keel worker``: run background tasks from the database queue, and tick the scheduler.

Any number of workers may run at once, on any machines: tasks are claimed with row locks and each
periodic job run is claimed by a conditional UPDATE (see scheduler/tick.py).
"""

import logging
import os
import socket
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection, connections
from django_tasks_db.management.commands.db_worker import Worker

from keel.lib.doors import Door, entering
from keel.scheduler.pumps import drain, pumps, run_forever
from keel.scheduler.tick import tick

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run queued background tasks and the periodic scheduler tick."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--no-scheduler", action="store_true", help="Run tasks only; another worker ticks.")
        parser.add_argument(
            "--no-pumps", action="store_true", help="Leave continuous work (the alert intake) to others."
        )
        parser.add_argument(
            "--helper",
            action="store_true",
            help="Pump only when a backlog builds up (keel serve's workers after the first).",
        )
        parser.add_argument("--interval", type=float, default=0.5, help="Seconds between polls of an empty queue.")
        parser.add_argument(
            "--batch", action="store_true", help="Exit when the queue is empty (for scripts and tests)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with entering(Door.SYSTEM):  # tasks, pumps and jobs are Keel itself, not the command line
            self._work(options)

    def _work(self, options: dict[str, Any]) -> None:
        _plan_every_statement()
        worker_id = f"{socket.gethostname()}-{os.getpid()}"
        if not options["no_pumps"]:
            for pump in pumps():
                if options["batch"]:
                    drain(pump)
                else:
                    threading.Thread(
                        target=run_forever,
                        args=(pump, threading.Event()),
                        kwargs={"helper": options["helper"]},
                        name=pump.name,
                        daemon=True,
                    ).start()
        if not options["no_scheduler"]:
            threading.Thread(target=_scheduler_loop, args=(worker_id,), name="keel-scheduler", daemon=True).start()
        worker = Worker(
            queue_names=["*"],
            interval=options["interval"],
            batch=options["batch"],
            backend_name="default",
            startup_delay=not options["batch"],
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.run()


def _plan_every_statement() -> None:
    """No prepared statements in the worker. Its statements are few and large (batches of alerts,
    sweeps), so planning is cheap next to running them, and the tables they touch grow fast: a
    prepared statement's generic plan made while a table was nearly empty stayed with the
    connection, and on a server without autovacuum (nothing re-analysed, nothing re-planned)
    processing fell from ~2,500 to ~250 alerts/s as the alert table grew past 100,000 rows."""
    for alias in connections:
        options = connections[alias].settings_dict.setdefault("OPTIONS", {})
        if "prepare_threshold" in options:
            options["prepare_threshold"] = None


def _scheduler_loop(worker_id: str) -> None:
    stop = threading.Event()
    while not stop.wait(settings.KEEL_SCHEDULER_TICK_SECONDS):
        try:
            tick(worker=worker_id)
        except Exception:
            logger.exception("scheduler tick failed; retrying next tick")
        finally:
            close_old_connections()
            connection.close()
