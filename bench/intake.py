#!/usr/bin/env python3
"""Monitoring intake under load: what a real ``keel serve`` (web + workers) accepts and processes.

    .venv/bin/python bench/intake.py --db postgres                 # single + batch + storm, ~3 min
    .venv/bin/python bench/intake.py --db postgres --workers 1     # with keel serve's default worker count
    .venv/bin/python bench/intake.py --db postgres --memory-minutes 10   # and a 10-minute storm

Phases, each against the same server on a fresh database:

- single: 16 clients POST one-alert Alertmanager notifications (each a new alert) as fast as they
  are answered; requests/s and acknowledgement latency (p50/p95/p99) from bench/loadgen.py.
- batch: 4 clients POST Alertmanager notifications of 100 new alerts each (Alertmanager sends a
  group per request); alerts/s accepted, then alerts/s processed, measured from the first request
  to the moment no payload is pending.
- storm: 10,000 alerts of one failing dependency (same alertname and service, 10,000 instances)
  sent in 100 notifications as fast as 4 clients can; the incidents they became, and the processing
  lag of every payload (processed_at − received_at, read from the database).
- memory (optional): a steady storm of new alerts, paced at --memory-rate alerts/s (default 5,000,
  the intake target) for N minutes, while every worker's RSS is sampled every 5 s; the processing
  lag over it says whether the rate was sustained.

Everything goes to 127.0.0.1; every loop is bounded in time and count. Prints a markdown table and
writes results.json to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PYTHON = str(REPO / ".venv" / "bin" / "python")
KEEL = [PYTHON, "-m", "keel.cli"]
PORT = 8191
PG_ADMIN = os.environ.get("KEEL_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
MAX_WAIT_S = 300


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def alert_json(fingerprint: str, instance: str, *, alertname: str = "HighLatency", service: str = "checkout") -> str:
    return json.dumps(
        {
            "status": "firing",
            "labels": {"alertname": alertname, "instance": instance, "service": service, "severity": "critical"},
            "annotations": {"summary": f"{alertname} on {instance}"},
            "startsAt": "2026-12-02T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": fingerprint,
        }
    )


def notification(alerts: list[str]) -> str:
    head = '{"version": "4", "status": "firing", "receiver": "keel", "groupKey": "{}:{alertname=\\"HighLatency\\"}",'
    return head + ' "externalURL": "http://alertmanager:9093", "alerts": [' + ", ".join(alerts) + "]}"


class Database:
    def __init__(self, kind: str, out: Path) -> None:
        self.kind = kind
        if kind == "sqlite":
            path = out / "intake.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.url = f"sqlite:///{path}"
        else:
            import psycopg

            with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as conn:
                conn.execute('DROP DATABASE IF EXISTS "keel_bench_intake" WITH (FORCE)')
                conn.execute('CREATE DATABASE "keel_bench_intake"')
            self.url = f"{PG_ADMIN}/keel_bench_intake"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEL_", "DATABASE_URL"))}
        self.env.update(DATABASE_URL=self.url, KEEL_VAR_DIR=str(out / "var"), KEEL_LOG_LEVEL="WARNING")
        self.env.update(KEEL_BASE_URL=f"http://127.0.0.1:{PORT}", PYTHONWARNINGS="ignore")

    def keel(self, *args: str) -> str:
        done = subprocess.run([*KEEL, *args], env=self.env, cwd=REPO, capture_output=True, text=True, check=True)
        return done.stdout

    def column(self, sql: str) -> list[Any]:
        """The first column of a query on the bench database (read with the project's own drivers)."""
        if self.kind == "sqlite":
            import sqlite3

            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as conn:
                return [row[0] for row in conn.execute(sql).fetchall()]
        import psycopg

        with psycopg.connect(self.url) as conn:
            return [row[0] for row in conn.execute(sql).fetchall()]

    def scalar(self, sql: str) -> Any:
        return self.column(sql)[0]


def new_source(db: Database) -> str:
    """Create an Alertmanager source in the bench database; returns its inbound URL."""
    code = (
        "from keel.integrations.actions.sources import create_source; "
        "print(create_source(actor=None, name='bench', kind='alertmanager').url)"
    )
    return db.keel("shell", "-c", code).strip().splitlines()[-1]


class Server:
    """``keel serve`` with its worker on PORT (the embedded profile: web and processing share the CPUs)."""

    def __init__(self, db: Database, url: str, log_path: Path, *, workers: int) -> None:
        self.db, self.url, self.log_path, self.workers = db, url, log_path, workers
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", PORT)) == 0:
                raise SystemExit(f"port {PORT} is in use")
        handle = self.log_path.open("ab")
        command = [*KEEL, "serve", "--port", str(PORT), "--workers", str(self.workers)]
        self.process = subprocess.Popen(command, env=self.db.env, cwd=REPO, stdout=handle, stderr=handle)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.probe() == 401 and len(self.worker_pids()) == self.workers:
                return self
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"keel serve did not become ready; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def probe(self) -> int:
        request = urllib.request.Request(self.url.rsplit("/", 1)[0] + "/wrong", data=b"{}", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return 0

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        children = _children(self.process.pid)
        return [child for child in children if b"keel.cli\x00worker" in Path(f"/proc/{child}/cmdline").read_bytes()]

    def worker_rss_mb(self) -> float:
        """The largest worker's resident memory (each worker is a process of its own)."""
        return max((rss_mb(pid) for pid in self.worker_pids()), default=0.0)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rss_mb(pid: int | None) -> float:
    if pid is None:
        return 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def loadgen(url: str, body: str, *, clients: int, duration: float, out: Path, warmup: float = 0.0) -> dict[str, Any]:
    command = [PYTHON, str(BENCH / "loadgen.py"), url, "-X", "POST", "--body", body, "--expect", "202"]
    command += ["-H", "Content-Type: application/json", "-c", str(clients), "-d", str(duration)]
    command += ["--warmup", str(warmup), "--json", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=duration + 120, check=False)
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"loadgen failed:\n{done.stdout}\n{done.stderr}")
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def drained(db: Database, *, since: float) -> float:
    """Seconds from ``since`` (monotonic) until no payload is pending (bounded by MAX_WAIT_S)."""
    deadline = time.monotonic() + MAX_WAIT_S
    while time.monotonic() < deadline:
        if db.scalar("SELECT COUNT(*) FROM integrations_payload WHERE status = 'pending'") == 0:
            return time.monotonic() - since
        time.sleep(0.1)
    raise SystemExit("payloads still pending after the wait limit")


def lag(db: Database, first_id: int) -> dict[str, float]:
    """Processing lag of the payloads since ``first_id``: p50/p95/max seconds."""
    if db.kind == "postgres":
        seconds = "EXTRACT(EPOCH FROM processed_at - received_at)"
    else:
        seconds = "(julianday(processed_at) - julianday(received_at)) * 86400"
    values = sorted(float(v) for v in db.column(f"SELECT {seconds} FROM integrations_payload WHERE id >= {first_id}"))
    if not values:
        return {"p50_s": 0.0, "p95_s": 0.0, "max_s": 0.0}
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    return {"p50_s": round(pick(0.5), 2), "p95_s": round(pick(0.95), 2), "max_s": round(values[-1], 2)}


def next_payload_id(db: Database) -> int:
    return int(db.scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM integrations_payload"))


def phase_single(db: Database, server: Server, options: argparse.Namespace) -> dict[str, Any]:
    log("single: 16 clients, one new alert per request")
    first, started = next_payload_id(db), time.monotonic()
    body = notification([alert_json("s{n}", "single-{n}:9100", alertname="SingleAlert", service="single")])
    report = loadgen(server.url, body, clients=16, duration=options.duration, warmup=3, out=options.out / "single.json")
    drain = drained(db, since=started)
    accepted = int(db.scalar(f"SELECT COUNT(*) FROM integrations_payload WHERE id >= {first}"))
    result = {
        "rps": round(report["rps"], 1),
        "p50_ms": round(report["p50_ms"], 1),
        "p95_ms": round(report["p95_ms"], 1),
        "p99_ms": round(report["p99_ms"], 1),
        "errors": report["errors"],
        "alerts": accepted,
        "processed_per_s": round(accepted / drain, 1),
        "lag": lag(db, first),
        "worker_rss_mb": server.worker_rss_mb(),
    }
    log(f"  {result}")
    return result


def phase_batch(db: Database, server: Server, options: argparse.Namespace) -> dict[str, Any]:
    log("batch: 4 clients, 100 new alerts per request")
    first, started = next_payload_id(db), time.monotonic()
    body = notification([alert_json(f"b{{n}}-{k}", f"batch-{{n}}-{k}:9100") for k in range(100)])
    report = loadgen(server.url, body, clients=4, duration=options.duration, out=options.out / "batch.json")
    sent_for = time.monotonic() - started
    drain = drained(db, since=started)
    payloads = int(db.scalar(f"SELECT COUNT(*) FROM integrations_payload WHERE id >= {first}"))
    result = {
        "requests_per_s": round(report["rps"], 1),
        "alerts_accepted_per_s": round(payloads * 100 / sent_for, 1),
        "alerts_processed_per_s": round(payloads * 100 / drain, 1),
        "p95_ms": round(report["p95_ms"], 1),
        "errors": report["errors"],
        "alerts": payloads * 100,
        "drain_s": round(drain, 1),
        "lag": lag(db, first),
        "worker_rss_mb": server.worker_rss_mb(),
    }
    log(f"  {result}")
    return result


def phase_storm(db: Database, server: Server, options: argparse.Namespace) -> dict[str, Any]:
    log("storm: 10,000 alerts of one failing dependency, 100 per notification, 4 senders")
    first, started = next_payload_id(db), time.monotonic()
    counter = iter(range(100))
    lock = threading.Lock()
    errors: list[str] = []

    def sender() -> None:
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            alerts = [
                alert_json(f"storm-{index}-{k}", f"web-{index:03}-{k:02}:9100", service="shop") for k in range(100)
            ]
            request = urllib.request.Request(server.url, data=notification(alerts).encode(), method="POST")
            request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
            except OSError as error:
                errors.append(str(error))

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    sent_s = time.monotonic() - started
    drain = drained(db, since=started)
    incidents = int(
        db.scalar("SELECT COUNT(DISTINCT incident_id) FROM integrations_alert WHERE identity LIKE 'storm-%'")
    )
    result = {
        "alerts": 10_000,
        "sent_in_s": round(sent_s, 1),
        "drained_in_s": round(drain, 1),
        "incidents": incidents,
        "errors": len(errors),
        "lag": lag(db, first),
    }
    log(f"  {result}")
    return result


def phase_memory(db: Database, server: Server, options: argparse.Namespace) -> dict[str, Any]:
    """A steady storm: notifications of 100 new alerts at ``--memory-rate`` alerts/s for N minutes,
    paced (not as fast as answered), while every worker's RSS is sampled every 5 s. The lag says
    whether processing sustained the rate; the RSS whether the workers' memory stays flat."""
    minutes, rate = options.memory_minutes, options.memory_rate
    log(f"memory: {rate:,} new alerts/s for {minutes} min in notifications of 100, paced; worker RSS every 5 s")
    first = next_payload_id(db)
    samples: list[tuple[float, float]] = []
    stop = threading.Event()
    started = time.monotonic()
    deadline = started + minutes * 60

    def sample() -> None:
        while not stop.is_set():
            samples.append((round(time.monotonic() - started, 1), server.worker_rss_mb()))
            stop.wait(5)

    senders, interval = 4, 100 / rate
    sent, late, errors = [0] * senders, [0] * senders, [0] * senders

    def send(index: int) -> None:
        # Sender ``index`` owns every ``senders``-th slot of a schedule of one notification per
        # ``interval`` seconds; it sends each at its time (or at once when behind, counted late).
        slot = index
        while (due := started + slot * interval) < deadline:
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            elif pause < -1:
                late[index] += 1
            alerts = [alert_json(f"mem-{slot}-{k}", f"mem-{slot:07}-{k:02}:9100", service="shop") for k in range(100)]
            request = urllib.request.Request(server.url, data=notification(alerts).encode(), method="POST")
            request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
                sent[index] += 1
            except OSError:
                errors[index] += 1
            slot += senders

    threads = [threading.Thread(target=sample, daemon=True)]
    threads += [threading.Thread(target=send, args=(index,)) for index in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join(timeout=minutes * 60 + 120)
    sent_s = time.monotonic() - started
    drain = drained(db, since=started)
    stop.set()
    threads[0].join(timeout=10)
    values = [rss for _, rss in samples if rss]
    tail = values[len(values) // 2 :]
    result = {
        "minutes": minutes,
        "rate": rate,
        "alerts_sent_per_s": round(sum(sent) * 100 / sent_s, 1),
        "late_sends": sum(late),
        "errors": sum(errors),
        "drained_after_s": round(drain - sent_s, 1),
        "lag": lag(db, first),
        "rss_first_mb": values[0] if values else 0,
        "rss_max_mb": max(values, default=0),
        "rss_last_mb": values[-1] if values else 0,
        "rss_second_half_range_mb": round(max(tail) - min(tail), 1) if tail else 0,
        "samples": samples,
        "alerts": int(db.scalar("SELECT COUNT(*) FROM integrations_alert")),
    }
    shown = {key: value for key, value in result.items() if key != "samples"}
    log(f"  {shown}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load per phase (max 120)")
    parser.add_argument("--workers", type=int, default=2, help="keel serve --workers (task worker processes)")
    parser.add_argument("--memory-minutes", type=float, default=0.0, help="minutes of steady storm (0: skip)")
    parser.add_argument("--memory-rate", type=int, default=5000, help="alerts/s of the steady storm (100..20,000)")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / f"{datetime.now():%Y%m%d-%H%M%S}-intake")
    options = parser.parse_args(argv)
    if not 0 < options.duration <= 120 or not 0 <= options.memory_minutes <= 30 or not 1 <= options.workers <= 8:
        raise SystemExit("intake: --duration 0..120 s, --memory-minutes 0..30, --workers 1..8")
    if not 100 <= options.memory_rate <= 20_000:
        raise SystemExit("intake: --memory-rate 100..20,000 alerts/s")
    options.out.mkdir(parents=True, exist_ok=True)
    db = Database(options.db, options.out)
    log(f"intake bench on {options.db}: migrating")
    db.keel("migrate", "-v", "0")
    url = new_source(db)
    results: dict[str, Any] = {"db": options.db, "loadavg_before": Path("/proc/loadavg").read_text().split()[:3]}
    results["workers"] = options.workers
    with Server(db, url, options.out / "serve.log", workers=options.workers) as server:
        results["single"] = phase_single(db, server, options)
        results["batch"] = phase_batch(db, server, options)
        results["storm"] = phase_storm(db, server, options)
        if options.memory_minutes:
            results["memory"] = phase_memory(db, server, options)
    results["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    (options.out / "results.json").write_text(json.dumps(results, indent=2))
    print(table(results))
    log(f"results in {options.out}")
    return 0


def table(results: dict[str, Any]) -> str:
    single, batch, storm = results["single"], results["batch"], results["storm"]
    rows = [
        "| Phase | Measure | Result | Target |",
        "|---|---|---|---|",
        f"| single (16 clients) | acknowledged/s | {single['rps']} | ≥ 800 |",
        f"| | p50 / p95 / p99 ms | {single['p50_ms']} / {single['p95_ms']} / {single['p99_ms']} | p95 < 50 |",
        f"| | processed/s, lag p95 | {single['processed_per_s']}, {single['lag']['p95_s']} s | |",
        f"| batch (100 alerts, 4 clients) | alerts accepted/s | {batch['alerts_accepted_per_s']} | ≥ 5,000 |",
        f"| | alerts processed/s | {batch['alerts_processed_per_s']} | ≥ 5,000 |",
        f"| | lag p50 / p95 / max s | {_lag(batch)} | |",
        f"| storm (10,000 alerts) | incidents they are on | {storm['incidents']} | a handful |",
        f"| | lag p50 / p95 / max s | {_lag(storm)} | < 10 |",
    ]
    if "memory" in results:
        memory = results["memory"]
        rows += [
            f"| steady storm ({memory['minutes']} min, paced) | alerts sent/s (late sends) | "
            f"{memory['alerts_sent_per_s']} ({memory['late_sends']}) | {memory['rate']:,} |",
            f"| | lag p50 / p95 / max s | {_lag(memory)} | kept up |",
            f"| | worker RSS first / max / last MB | "
            f"{memory['rss_first_mb']} / {memory['rss_max_mb']} / {memory['rss_last_mb']} | flat |",
        ]
    return "\n".join(rows)


def _lag(phase: dict[str, Any]) -> str:
    return f"{phase['lag']['p50_s']} / {phase['lag']['p95_s']} / {phase['lag']['max_s']}"


if __name__ == "__main__":
    sys.exit(main())
