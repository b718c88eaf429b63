"""``keel serve``: the web server (gunicorn + whitenoise), the task worker and the scheduler tick,
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
            "--web-workers", type=int, default=int(os.environ.get("KEEL_WEB_WORKERS", str(2 * (os.cpu_count() or 1))))
        )
        parser.add_argument("--web-threads", type=int, default=int(os.environ.get("KEEL_WEB_THREADS", "1")))
        parser.add_argument("--no-worker", action="store_true", help="Serve web requests only.")
        parser.add_argument("--access-log", action="store_true", help="Log every request.")

    def handle(self, *args: Any, **options: Any) -> None:
        commands = {"web": self._gunicorn(options)}
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

    def _gunicorn(self, options: dict[str, Any]) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "keel.config.wsgi:application",
            "--bind",
            f"{options['host']}:{options['port']}",
            "--workers",
            str(options["web_workers"]),
            "--threads",
            str(options["web_threads"]),
            "--worker-class",
            "gthread" if options["web_threads"] > 1 else "sync",
            "--max-requests",
            "20000",
            "--max-requests-jitter",
            "2000",
            "--graceful-timeout",
            "10",
            "--keep-alive",
            "5",
        ]
        if options["access_log"]:
            command += ["--access-logfile", "-"]
        return command
