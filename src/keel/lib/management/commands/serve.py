"""``keel serve``: the web server (granian + whitenoise), the task worker and the scheduler tick,
supervised together so one command runs the embedded profile. In a scale-out deployment run
``keel serve --no-worker`` on web machines and ``keel worker`` on worker machines.

Given a certificate and its key (``--tls-cert``/``--tls-key`` or ``KEEL_TLS_CERT``/``KEEL_TLS_KEY``),
granian speaks HTTPS itself: monitoring senders such as PagerDuty's clients refuse plain HTTP, and a
small installation should not need a proxy in front just for TLS.
"""

import os
import signal
import ssl
import subprocess
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from keel.lib.database import postgres


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
        commands = {"web": self._granian(options, tls)}
        workers = 0 if options["no_worker"] else options["workers"]
        for number in range(1, workers + 1):
            name = f"worker {number}" if workers > 1 else "worker"
            helper = ["--helper"] if number > 1 else []  # the first keeps up alone; the others help in storms
            commands[name] = [sys.executable, "-m", "keel.cli", "worker", *helper]
        env = _child_environment(options, tls)
        children = {name: subprocess.Popen(command, env=env) for name, command in commands.items()}
        scheme = "https" if tls else "http"
        self.stdout.write(f"Keel is serving on {scheme}://{options['host']}:{options['port']}/ (Ctrl+C stops it)")
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                exited = {name: child.returncode for name, child in children.items() if child.poll() is not None}
                if exited:
                    self.stderr.write(f"stopping: {', '.join(f'{n} exited with {c}' for n, c in exited.items())}")
                    raise SystemExit(1)
                time.sleep(0.5)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.terminate()
            for child in children.values():
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()

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
