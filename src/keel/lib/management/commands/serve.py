"""``keel serve``: the web server (granian + whitenoise), the task worker and the scheduler tick,
supervised together so one command runs the embedded profile (lib/supervisor.py: a child that
exits is started again; a worker's troubles never stop the web server; only SIGINT or SIGTERM stop
``keel serve``). In a scale-out deployment run ``keel serve --no-worker`` on web machines and
``keel worker`` on worker machines.

Given a certificate and its key (``--tls-cert``/``--tls-key`` or ``KEEL_TLS_CERT``/``KEEL_TLS_KEY``),
granian speaks HTTPS itself: monitoring senders such as PagerDuty's clients refuse plain HTTP, and a
small installation should not need a proxy in front just for TLS.
"""

import contextlib
import ctypes
import logging
import os
import signal
import ssl
import subprocess
import sys
import time
from argparse import ArgumentParser
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from keel.lib.database import postgres
from keel.lib.supervisor import Process, Program, Supervisor

logger = logging.getLogger(__name__)

STOP_GRACE = 15.0  # seconds the children get to stop after SIGINT/SIGTERM before they are killed
PR_SET_PDEATHSIG = 1  # linux/prctl.h
_LIBC = ctypes.CDLL(None) if sys.platform == "linux" else None


class Command(BaseCommand):
    help = "Serve Keel: web server, task worker and scheduler in one supervised command."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("KEEL_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--web-workers", type=int, default=int(os.environ.get("KEEL_WEB_WORKERS", str(os.cpu_count() or 1)))
        )
        # One WSGI thread per worker by default: measured at 1M incidents with 16 clients, 2 workers × 1
        # thread served the list mix at 483 req/s (p95 41 ms) and 2 × 2 at 390 (p95 67 ms): a second
        # thread mostly waits for the GIL. Raise it when requests wait long on other services.
        parser.add_argument("--web-threads", type=int, default=int(os.environ.get("KEEL_WEB_THREADS", "1")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("KEEL_WORKERS", "2" if postgres() else "1")),
            help=(
                "Task worker processes (0: serve web requests only); those after the first are helpers that"
                " process alerts only when a backlog builds up. Default 2 on PostgreSQL, 1 on SQLite (one writer)."
            ),
        )
        parser.add_argument("--no-worker", action="store_true", help="Serve web requests only (--workers 0).")
        parser.add_argument("--access-log", action="store_true", help="Log every request.")
        parser.add_argument(
            "--tls-cert",
            default=settings.KEEL_TLS_CERT,
            metavar="FILE",
            help="Serve HTTPS with this PEM certificate (chain first); needs --tls-key.",
        )
        parser.add_argument(
            "--tls-key", default=settings.KEEL_TLS_KEY, metavar="FILE", help="The certificate's PEM private key."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tls = _tls_files(options["tls_cert"], options["tls_key"])
        if options["workers"] < 0:
            raise CommandError(f"--workers must be 0 or more (got {options['workers']}).")
        programs = [Program("web server", self._granian(options, tls), essential=True)]
        workers = 0 if options["no_worker"] else options["workers"]
        for number in range(1, workers + 1):
            name = f"worker {number}" if workers > 1 else "worker"
            helper = ["--helper"] if number > 1 else []  # the first keeps up alone; the others help in storms
            programs.append(Program(name, [sys.executable, "-m", "keel.cli", "worker", *helper]))
        env = _child_environment(options, tls)
        supervisor = Supervisor(
            programs,
            start=partial(_start, env=env, parent=os.getpid()),
            clock=time.monotonic,
            log=logger.warning,
            leftovers=_end_group,
        )
        signal.signal(signal.SIGINT, lambda signum, frame: supervisor.request_stop(signum))
        signal.signal(signal.SIGTERM, lambda signum, frame: supervisor.request_stop(signum))
        status = supervisor.check()  # starts every child
        scheme = "https" if tls else "http"
        self.stdout.write(f"Keel is serving on {scheme}://{options['host']}:{options['port']}/ (Ctrl+C stops it)")
        while supervisor.stopping is None and status is None:
            time.sleep(0.2)
            status = supervisor.check()
        supervisor.stop(grace=STOP_GRACE, sleep=time.sleep)
        if status is not None:
            raise SystemExit(status)

    def _granian(self, options: dict[str, Any], tls: tuple[Path, Path] | None) -> list[str]:
        # granian: HTTP parsing and keep-alive in Rust, the app in WSGI threads. Against gunicorn's
        # sync workers (a new connection per request) it cut a list request's web CPU by a fifth
        # (bench/README.md). Threads let one request run Python while another waits on the database.
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
            "--workers",
            str(options["web_workers"]),
            "--blocking-threads",
            str(options["web_threads"]),
            # One Rust runtime thread per worker: the WSGI threads do the work, and the multi-threaded
            # runtime's hand-offs cost a list request ~0.5 ms of CPU (bench: 430 → 505 req/s at 1M).
            "--runtime-mode",
            "st",
            "--no-ws",
            "--respawn-failed-workers",
            "--workers-kill-timeout",
            "10",
            "--access-log" if options["access_log"] else "--no-access-log",
            *(["--ssl-certificate", str(tls[0]), "--ssl-keyfile", str(tls[1])] if tls else []),
            "keel.config.wsgi:application",
        ]


def _tls_files(cert: str, key: str) -> tuple[Path, Path] | None:
    """The certificate and key to serve HTTPS with, checked; None for plain HTTP."""
    if not cert and not key:
        return None
    if not key:
        raise CommandError("--tls-cert needs --tls-key (KEEL_TLS_KEY) too: HTTPS takes the certificate and its key.")
    if not cert:
        raise CommandError("--tls-key needs --tls-cert (KEEL_TLS_CERT) too: HTTPS takes the certificate and its key.")
    files = (Path(cert).resolve(), Path(key).resolve())
    for option, path in zip(("--tls-cert", "--tls-key"), files, strict=True):
        if not path.is_file():
            raise CommandError(f"{option}: {path} is not a file; give the path of the PEM file.")
    try:
        # What granian will do, done here so a wrong file is refused before anything starts. The
        # password callback keeps OpenSSL from prompting on a terminal for an encrypted key.
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(*files, password=lambda: b"")
    except ssl.SSLError as error:
        raise CommandError(
            f"Cannot serve HTTPS with {files[0]} and {files[1]} ({error.reason or error}): the certificate and an "
            "unencrypted key that belongs to it must both be PEM files."
        ) from error
    return files


def _child_environment(options: dict[str, Any], tls: tuple[Path, Path] | None) -> dict[str, str]:
    """The children's settings follow the command line: the URLs Keel prints name the address
    and scheme it really serves on, and cookies are HTTPS-only when it serves HTTPS."""
    env = {**os.environ, "KEEL_HOST": str(options["host"]), "PORT": str(options["port"])}
    if tls:
        env.update(KEEL_TLS_CERT=str(tls[0]), KEEL_TLS_KEY=str(tls[1]))
    return env


def _start(program: Program, *, env: Mapping[str, str], parent: int) -> subprocess.Popen[bytes]:
    # Each child leads a process group of its own, so that what it leaves behind when it dies (the
    # web server's worker processes) can be ended with it (_end_group); signals reach the children
    # through keel serve, which passes SIGINT and SIGTERM on.
    return subprocess.Popen(
        program.command,
        env=env,
        process_group=0,
        preexec_fn=partial(_die_with, parent),  # noqa: PLW1509  (keel serve runs no threads)
    )


def _die_with(parent: int) -> None:
    """In the child, before it runs its program: have the kernel send it SIGTERM when keel serve
    dies, even by SIGKILL, so that no orphaned web server keeps the port from the next keel serve."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # keel serve died before the line above
        os.kill(os.getpid(), signal.SIGTERM)


def _end_group(process: Process) -> None:
    """End whatever is left of an exited child's process group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
