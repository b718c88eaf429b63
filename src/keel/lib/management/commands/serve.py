"""``keel serve``: the web server (granian + whitenoise), the task worker and the scheduler tick,
supervised together so one command runs the embedded profile. In a scale-out deployment run
``keel serve --no-worker`` on web machines and ``keel worker`` on worker machines.
"""

import os
import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Keel: web server, task worker and scheduler in one supervised command."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("KEEL_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--web-workers", type=int, default=int(os.environ.get("KEEL_WEB_WORKERS", str(os.cpu_count() or 1)))
        )
        parser.add_argument("--web-threads", type=int, default=int(os.environ.get("KEEL_WEB_THREADS", "2")))
        parser.add_argument("--no-worker", action="store_true", help="Serve web requests only.")
        parser.add_argument("--access-log", action="store_true", help="Log every request.")

    def handle(self, *args: Any, **options: Any) -> None:
        commands = {"web": self._granian(options)}
        if not options["no_worker"]:
            commands["worker"] = [sys.executable, "-m", "keel.cli", "worker"]
        children = {name: subprocess.Popen(command) for name, command in commands.items()}
        self.stdout.write(f"Keel is serving on http://{options['host']}:{options['port']}/ (Ctrl+C stops it)")
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

    def _granian(self, options: dict[str, Any]) -> list[str]:
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
            "--no-ws",
            "--respawn-failed-workers",
            "--workers-kill-timeout",
            "10",
            "--access-log" if options["access_log"] else "--no-access-log",
            "keel.config.wsgi:application",
        ]
