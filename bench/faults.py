#!/usr/bin/env python3
"""Faults under load: does Keel lose or duplicate an acknowledged write, and how soon does it serve again?

    .venv/bin/python bench/faults.py                           # both databases, every scenario (~10 min)
    .venv/bin/python bench/faults.py --db postgres             # one database (--db sqlite|postgres|both)
    .venv/bin/python bench/faults.py --db postgres --scenario stop-5 --scenario freeze
    make faults

For each database, a real ``keel serve`` (web server and task workers, as an operator runs it) on a
free loopback port, and a small load while each fault happens:

- writers that create incidents through the API, each with a unique title and an ``Idempotency-Key``
  per logical request, and retry a failed attempt (no answer, 5xx, 429) with back-off, honouring
  ``Retry-After``, until it is acknowledged (2xx), as a careful client does;
- a monitoring sender that posts Alertmanager notifications (each alert new, severity ``info``:
  recorded, no incident) and retries the way Alertmanager does (on 5xx and on no answer);
- a probe that reads the incident list every 0.2 s.

Scenarios (``--scenario``, repeatable; all by default):

- kill-web-worker: ``kill -9`` one of the web server's worker processes;
- kill-task-workers: ``kill -9`` every task worker (the alert sender keeps sending);
- kill-all: ``kill -9`` keel serve and every process under it, then start keel serve again;
- stop-5, stop-20: PostgreSQL is shut down (fast mode: sessions ended) for 5 s / 20 s and started
  again; SQLite has no server, so another process holds its write lock as long instead;
- freeze: PostgreSQL's postmaster and every backend SIGSTOPped for 10 s (``--freeze-seconds``), then
  SIGCONT (SQLite: n/a). Past 35 s (``KEEL_DB_STATEMENT_TIMEOUT`` + 5 s) the web server's watchdog
  fails the statements that wait, and new connections fail after ``KEEL_DB_CONNECT_TIMEOUT``.

Each scenario prints: logical creates acknowledged, stored (rows with their titles), lost
(acknowledged, not stored), duplicated (rows beyond one per title); alerts acknowledged, stored and
lost; failed attempts the clients saw; and the seconds to recover: from the moment the fault ends
(the database is back, keel serve started again, the process killed) to the first 2xx of a request
sent after it. Target: 0 lost, 0 duplicated, back to serving within 10 s, no manual step.

PostgreSQL runs as a throwaway cluster (initdb into a temporary directory with
/usr/lib/postgresql/15/bin, its own free port on 127.0.0.1, removed at the end; as the ``postgres``
user when run by root); the shared server is never touched. Everything listens on 127.0.0.1; every
wait is bounded and the whole run stops after ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PYTHON = str(REPO / ".venv" / "bin" / "python")
KEEL = [PYTHON, "-m", "keel.cli"]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SCENARIOS = ("kill-web-worker", "kill-task-workers", "kill-all", "stop-5", "stop-20", "freeze")
CLIENT_TIMEOUT = 40.0  # longer than the web server's statement watchdog (30 s + 5 s): the server answers first
GIVE_UP = 120.0  # a logical request still unacknowledged after this long is abandoned (and reported)


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(what: str, check: Callable[[], object], *, timeout: float, every: float = 0.2) -> float:
    """Seconds until ``check()`` is truthy; raises after ``timeout``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"waited {timeout:g} s for {what}")
        time.sleep(every)
    return time.monotonic() - started


# --- processes ------------------------------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """``root`` and every process under it, deepest first."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return list(reversed(found))


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def children(pid: int) -> list[int]:
    return [child for child in process_tree(pid) if child != pid and _parent(child) == pid]


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


# --- databases ------------------------------------------------------------------------------------


class Postgres:
    """A throwaway PostgreSQL 15 cluster in ``root``, on its own port."""

    kind = "postgres"

    def __init__(self, root: Path) -> None:
        self.data, self.port = root / "pgdata", free_port()
        self.root = root
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()
        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as admin:
            admin.execute("CREATE DATABASE keel_faults")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/keel_faults"

    def _run(self, *command: str | Path, timeout: float = 120) -> None:
        subprocess.run(
            [*self.as_postgres, *map(str, command)], check=True, timeout=timeout, capture_output=True, cwd=self.root
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root}"
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "postgres.log", "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def processes(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        return process_tree(postmaster)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, connect_timeout=10) as conn:
            return list(conn.execute(sql.replace("?", "%s"), params).fetchall())

    def remove(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.stop("immediate")


class Sqlite:
    kind = "sqlite"

    def __init__(self, root: Path) -> None:
        self.path = root / "keel.sqlite3"
        self.url = f"sqlite:///{self.path}"

    def hold_write_lock(self, seconds: float) -> None:
        """What a long writer in another process (a backup, a bulk import) does to everyone else."""
        holder = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            time.sleep(seconds)
            holder.execute("ROLLBACK")
        finally:
            holder.close()

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.path, timeout=60)) as conn:
            return list(conn.execute(sql, params).fetchall())

    def remove(self) -> None:
        return None


Database = Postgres | Sqlite


# --- keel serve -----------------------------------------------------------------------------------


class Server:
    """``keel serve`` on a free port, in a session of its own (so a kill of its group spares us)."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self.env, self.port, self.log_path = env, port, log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as handle:
            self.process = subprocess.Popen(
                [*KEEL, "serve", "--port", str(self.port)],
                env=self.env,
                cwd=REPO,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until("keel serve to answer", lambda: status_of(f"{self.base}/healthz") == 200, timeout=90)

    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def web_server(self) -> int:
        return next(pid for pid in children(self.pid()) if "granian" in command_line(pid))

    def task_workers(self) -> list[int]:
        return [pid for pid in children(self.pid()) if "keel.cli worker" in command_line(pid)]

    def kill_everything(self) -> None:
        signal_all(process_tree(self.pid()), signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        tree = process_tree(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            signal_all(process_tree(self.process.pid), signal.SIGKILL)
            self.process.wait(timeout=30)
        time.sleep(0.5)
        signal_all([pid for pid in tree if Path(f"/proc/{pid}").exists()], signal.SIGKILL)


def status_of(url: str) -> int:
    host, port, path = _split(url)
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


def _split(url: str) -> tuple[str, int, str]:
    rest = url.split("://", 1)[1]
    address, _, path = rest.partition("/")
    host, _, port = address.partition(":")
    return host, int(port or 80), "/" + path


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Attempt:
    started: float
    ended: float
    status: int  # 0: no answer (refused, reset, timed out)


@dataclass
class Logical:
    """One thing a client wants done, however many attempts it takes."""

    key: str
    acked: bool = False
    abandoned: bool = False
    attempts: int = 0
    items: list[str] = field(default_factory=list)  # titles or alert fingerprints


class Load:
    """Writers, a monitoring sender and a probe, until ``finish``; every attempt recorded."""

    def __init__(self, *, base: str, token: str, alert_path: str, label: str, writers: int) -> None:
        self.base, self.token, self.alert_path, self.label = base, token, alert_path, label
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.attempts: list[Attempt] = []
        self.creates: list[Logical] = []
        self.notifications: list[Logical] = []
        self.numbers = itertools.count(1)
        self.threads = [threading.Thread(target=self._writer, daemon=True) for _ in range(writers)]
        self.threads += [threading.Thread(target=self._sender, daemon=True)]
        self.probe = threading.Thread(target=self._probe, daemon=True)

    def start(self) -> None:
        for thread in [*self.threads, self.probe]:
            thread.start()

    def finish(self, *, timeout: float) -> None:
        """Send no new logical requests; wait for the ones under way to be acknowledged or abandoned."""
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in [*self.threads, self.probe]:
            thread.join(max(0.1, deadline - time.monotonic()))

    def _writer(self) -> None:
        client = Client(self.base)
        while not self.stopping.is_set():
            title = f"{self.label} {next(self.numbers)}"
            request = Logical(key=uuid.uuid4().hex, items=[title])
            with self.lock:
                self.creates.append(request)
            body = json.dumps({"title": title, "impact": "low", "urgency": "low", "description": "bench/faults.py"})
            headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": request.key}
            self._until_acked(client, "/api/v1/incidents", body, headers, request)
            time.sleep(0.05)

    def _sender(self) -> None:
        client = Client(self.base)
        while not self.stopping.is_set():
            number = next(self.numbers)
            fingerprints = [f"{self.label.replace(' ', '-')}-{number}-{k}" for k in range(10)]
            request = Logical(key="", items=fingerprints)
            with self.lock:
                self.notifications.append(request)
            self._until_acked(client, self.alert_path, notification(fingerprints), {}, request)
            time.sleep(0.2)

    def _until_acked(self, client: Client, path: str, body: str, headers: dict[str, str], request: Logical) -> None:
        first, pause = time.monotonic(), 0.2
        while time.monotonic() - first < GIVE_UP:
            request.attempts += 1
            attempt, retry_after = client.post(path, body, headers)
            with self.lock:
                self.attempts.append(attempt)
            if 200 <= attempt.status < 300:
                request.acked = True
                return
            if 400 <= attempt.status < 500 and attempt.status != 429:
                log(f"refused with {attempt.status}: {path}")
                request.abandoned = True
                return
            time.sleep(min(5.0, retry_after) if retry_after else pause)
            pause = min(2.0, pause * 2)
        request.abandoned = True

    def _probe(self) -> None:
        client = Client(self.base)
        while not self.stopping.is_set():
            attempt = client.get("/api/v1/incidents?limit=1", {"Authorization": f"Bearer {self.token}"})
            with self.lock:
                self.attempts.append(attempt)
            time.sleep(0.2)

    def recovered_after(self, moment: float) -> float | None:
        """Seconds from ``moment`` to the first 2xx of an attempt sent after it."""
        with self.lock:
            ends = [a.ended for a in self.attempts if a.started >= moment and 200 <= a.status < 300]
        return min(ends) - moment if ends else None

    def failures(self) -> int:
        with self.lock:
            return sum(1 for a in self.attempts if a.status == 0 or a.status >= 500)


class Client:
    """One keep-alive HTTP connection, opened again after any failure."""

    def __init__(self, base: str) -> None:
        self.host, self.port, _ = _split(base)
        self.connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: str, headers: dict[str, str]) -> tuple[Attempt, float]:
        return self._send("POST", path, body.encode(), {"Content-Type": "application/json", **headers})

    def get(self, path: str, headers: dict[str, str]) -> Attempt:
        return self._send("GET", path, None, headers)[0]

    def _send(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[Attempt, float]:
        started = time.monotonic()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=CLIENT_TIMEOUT)
            self.connection.request(method, path, body=body, headers=headers)
            answer = self.connection.getresponse()
            answer.read()
            retry_after = float(answer.headers.get("Retry-After", "0") or 0)
            return Attempt(started, time.monotonic(), answer.status), retry_after
        except (OSError, http.client.HTTPException, ValueError):
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return Attempt(started, time.monotonic(), 0), 0.0


def notification(fingerprints: list[str]) -> str:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "FaultProbe", "instance": fingerprint, "severity": "info"},
            "annotations": {"summary": f"fault probe {fingerprint}"},
            "startsAt": "2026-12-01T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": fingerprint,
        }
        for fingerprint in fingerprints
    ]
    group = {"version": "4", "status": "firing", "receiver": "keel", "groupKey": '{}:{alertname="FaultProbe"}'}
    return json.dumps({**group, "externalURL": "http://alertmanager:9093", "alerts": alerts})


# --- a run ----------------------------------------------------------------------------------------


@dataclass
class Setup:
    database: Database
    server: Server
    token: str
    alert_path: str
    run: str


def fault(setup: Setup, scenario: str, options: argparse.Namespace) -> tuple[float, str]:
    """Cause the fault; when it ended (monotonic) and a note."""
    server, database = setup.server, setup.database
    if scenario == "kill-web-worker":
        victim = children(server.web_server())[0]
        os.kill(victim, signal.SIGKILL)
        return time.monotonic(), f"killed web worker {victim}"
    if scenario == "kill-task-workers":
        victims = server.task_workers()
        signal_all(victims, signal.SIGKILL)
        killed = time.monotonic()
        count = len(victims)
        back = wait_until(
            "the task workers to be started again", lambda: _new_workers(server, victims, count), timeout=60
        )
        return killed, f"killed {count} task workers; all running again after {back:.1f} s"
    if scenario == "kill-all":
        server.kill_everything()
        time.sleep(1)
        started = time.monotonic()
        server.start()
        return started, f"keel serve up again {time.monotonic() - started:.1f} s after it was started"
    if scenario.startswith("stop-"):
        seconds = float(scenario.removeprefix("stop-"))
        if isinstance(database, Postgres):
            database.stop("fast")
            time.sleep(seconds)
            database.start()
            return time.monotonic(), f"PostgreSQL stopped (fast shutdown) for {seconds:g} s"
        database.hold_write_lock(seconds)
        return time.monotonic(), f"SQLite write lock held by another process for {seconds:g} s"
    assert scenario == "freeze"
    assert isinstance(database, Postgres)
    frozen = database.processes()
    signal_all(frozen, signal.SIGSTOP)
    time.sleep(options.freeze_seconds)
    signal_all(list(reversed(frozen)), signal.SIGCONT)
    return time.monotonic(), f"PostgreSQL's {len(frozen)} processes SIGSTOPped for {options.freeze_seconds:g} s"


def _new_workers(server: Server, killed: list[int], count: int) -> bool:
    running = server.task_workers()
    return len(running) == count and not set(running) & set(killed)


def run_scenario(setup: Setup, scenario: str, options: argparse.Namespace) -> dict[str, Any]:
    label = f"faults {setup.run} {scenario}"
    load = Load(
        base=setup.server.base, token=setup.token, alert_path=setup.alert_path, label=label, writers=options.writers
    )
    load.start()
    time.sleep(options.before)
    log(f"{scenario}: fault")
    back, note = fault(setup, scenario, options)
    log(f"{scenario}: {note}")
    with contextlib.suppress(TimeoutError):
        wait_until("a 2xx after the fault", lambda: load.recovered_after(back) is not None, timeout=60)
    time.sleep(options.after)
    load.finish(timeout=GIVE_UP + 10)
    with contextlib.suppress(TimeoutError):  # the acknowledged alerts processed into alert rows
        wait_until("the intake to drain", lambda: pending(setup.database) == 0, timeout=90, every=0.5)
    return count(setup, scenario, load, back, note)


def pending(database: Database) -> int:
    return int(database.rows("SELECT COUNT(*) FROM integrations_payload WHERE status = 'pending'")[0][0])


def count(setup: Setup, scenario: str, load: Load, back: float, note: str) -> dict[str, Any]:
    label = f"faults {setup.run} {scenario} "
    stored = dict(
        setup.database.rows(
            "SELECT title, COUNT(*) FROM incidents_incident WHERE title LIKE ? GROUP BY title", (f"{label}%",)
        )
    )
    acked = {request.items[0] for request in load.creates if request.acked}
    prefix = label.replace(" ", "-")
    alerts = {
        row[0]
        for row in setup.database.rows("SELECT identity FROM integrations_alert WHERE identity LIKE ?", (f"{prefix}%",))
    }
    alerts_acked = {fingerprint for request in load.notifications if request.acked for fingerprint in request.items}
    recovered = load.recovered_after(back)
    return {
        "scenario": scenario,
        "note": note,
        "creates_acknowledged": len(acked),
        "creates_stored": sum(stored.values()),
        "creates_lost": len(acked - stored.keys()),
        "creates_duplicated": sum(n - 1 for n in stored.values()),
        "creates_abandoned": sum(1 for request in load.creates if request.abandoned),
        "alerts_acknowledged": len(alerts_acked),
        "alerts_stored": len(alerts & alerts_acked),
        "alerts_lost": len(alerts_acked - alerts),
        "alerts_pending": pending(setup.database),
        "failed_attempts": load.failures(),
        "recovery_s": None if recovered is None else round(recovered, 2),
    }


@contextlib.contextmanager
def keel_on(kind: str, root: Path, port: int, out: Path) -> Iterator[Setup]:
    """A migrated Keel on a fresh database of ``kind``, served by keel serve, with a token and a source."""
    database: Database = Postgres(root) if kind == "postgres" else Sqlite(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEL_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=database.url,
        KEEL_VAR_DIR=str(root / "var"),
        KEEL_BASE_URL=f"http://127.0.0.1:{port}",
        KEEL_LOG_LEVEL="WARNING",
        PYTHONWARNINGS="ignore",
    )
    server = Server(env, port, out / f"serve-{kind}.log")
    try:
        for step in (["migrate", "--no-input", "-v0"], ["collectstatic", "--no-input", "-v0"]):
            subprocess.run([*KEEL, *step], env=env, cwd=REPO, check=True, timeout=300, capture_output=True)
        keel = _keel(env)
        keel("user", "create", "faults", "--role", "agent", "--no-password")
        token = keel("token", "create", "faults").strip().splitlines()[-1]
        url = keel("source", "create", "faults", "--kind", "alertmanager").strip().splitlines()[-1]
        server.start()
        yield Setup(database, server, token, "/" + url.split("://", 1)[1].split("/", 1)[1], uuid.uuid4().hex[:6])
    finally:
        server.stop()
        database.remove()


def _keel(env: dict[str, str]) -> Callable[..., str]:
    def keel(*args: str) -> str:
        done = subprocess.run(
            [*KEEL, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"keel {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    return keel


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "| database | scenario | creates acked | stored | lost | duplicated | alerts acked | stored | lost "
        "| failed attempts | recovery (s) |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in results:
        if r.get("skipped"):
            lines.append(f"| {r['database']} | {r['scenario']} | {r['skipped']} |" + " |" * 9)
            continue
        recovery = "not recovered" if r["recovery_s"] is None else r["recovery_s"]
        lines.append(
            f"| {r['database']} | {r['scenario']} | {r['creates_acknowledged']} | {r['creates_stored']} "
            f"| {r['creates_lost']} | {r['creates_duplicated']} | {r['alerts_acknowledged']} | {r['alerts_stored']} "
            f"| {r['alerts_lost']} | {r['failed_attempts']} | {recovery} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="repeatable; default: all")
    parser.add_argument("--writers", type=int, default=2, help="API clients creating incidents (default 2)")
    parser.add_argument("--before", type=float, default=4, help="seconds of load before each fault (default 4)")
    parser.add_argument("--after", type=float, default=4, help="seconds of load after recovery (default 4)")
    parser.add_argument("--freeze-seconds", type=float, default=10, help="how long freeze lasts (default 10)")
    parser.add_argument("--timeout", type=float, default=1800, help="stop everything after this many seconds")
    parser.add_argument("--out", type=Path, default=None, help="where to write results.json and the server logs")
    options = parser.parse_args(argv)
    scenarios = options.scenario or list(SCENARIOS)
    kinds = ["sqlite", "postgres"] if options.db == "both" else [options.db]
    out = options.out or BENCH / "results" / f"{datetime.now():%Y%m%d-%H%M%S}-faults"
    out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGALRM, lambda signum, frame: _out_of_time(options.timeout))
    signal.alarm(int(options.timeout))
    results: list[dict[str, Any]] = []
    for kind in kinds:
        root = Path(tempfile.mkdtemp(prefix=f"keel-faults-{kind}-"))
        try:
            with keel_on(kind, root, free_port(), out) as setup:
                log(f"{kind}: keel serve on {setup.server.base}, run {setup.run}")
                for scenario in scenarios:
                    if scenario == "freeze" and kind == "sqlite":
                        results.append({"database": kind, "scenario": scenario, "skipped": "no server to freeze"})
                        continue
                    result = {"database": kind, **run_scenario(setup, scenario, options)}
                    log(json.dumps(result))
                    results.append(result)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(table(results))
    print(f"\nresults: {out / 'results.json'}")
    bad = [
        r
        for r in results
        if not r.get("skipped") and (r["creates_lost"] or r["alerts_lost"] or r["creates_duplicated"])
    ]
    return 1 if bad else 0


def _out_of_time(seconds: float) -> None:
    raise SystemExit(f"bench/faults.py: stopped after --timeout {seconds:g} s")


if __name__ == "__main__":
    sys.exit(main())
