"""``keel worker``: run background tasks from the database queue, and tick the scheduler.

Any number of workers may run at once, on any machines: tasks are claimed with row locks and each
periodic job run is claimed by a conditional UPDATE (see scheduler/tick.py). Every loop of the
worker (tasks, pumps, the tick) rides out a database outage (lib/database.py): the worker never
exits because the database went away.
"""

import os
import socket
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker

from keel.lib.database import Backoff, limit_statements, ride_out
from keel.lib.doors import Door, entering
from keel.scheduler.pumps import drain, pumps, run_forever
from keel.scheduler.tick import tick_forever


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
        limit_statements(settings.KEEL_DB_STATEMENT_TIMEOUT_WORKER)
        worker_id = f"{socket.gethostname()}-{os.getpid()}"
        stop = threading.Event()  # never set: the threads end with the process
        if not options["no_pumps"]:
            for pump in pumps():
                if options["batch"]:
                    drain(pump)
                else:
                    threading.Thread(
                        target=run_forever,
                        args=(pump, stop),
                        kwargs={"helper": options["helper"]},
                        name=pump.name,
                        daemon=True,
                    ).start()
        if not options["batch"]:  # a batch run works off the queue and leaves ticking to the others
            threading.Thread(
                target=tick_forever,
                args=(worker_id, stop),
                kwargs={"schedule": not options["no_scheduler"]},
                name="keel-scheduler",
                daemon=True,
            ).start()
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
        # SIGTERM and SIGINT (keel serve forwards them) let a running task finish, then exit.
        worker.configure_signals()
        run_tasks(worker)


def run_tasks(worker: Any, *, backoff: Backoff | None = None) -> None:
    """django-tasks-db's task loop, started again after a database outage: its loop raises on an
    OperationalError that is not SQLite's lock, and a task it was running stays claimed (every task
    Keel runs is a periodic job's, which its next run does again)."""
    backoff = backoff or Backoff()
    while not ride_out(lambda: _ran(worker), backoff=backoff, wait=time.sleep, default=False):
        worker.startup_delay = False


def _ran(worker: Any) -> bool:
    worker.run()
    return True


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
