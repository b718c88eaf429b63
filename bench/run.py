#!/usr/bin/env python3
"""Run Keel's benchmark scenarios end to end and print a markdown table.

    bench/run.sh all                      # every scenario, ~16 min on 2 cores; the final table
    bench/run.sh create floor             # API create vs the raw INSERT floor, SQLite and PostgreSQL
    bench/run.sh list --size 100000       # filtered list pages at 100k incidents
    bench/run.sh sweep --db postgres      # web worker/thread configurations for the create scenario
    bench/run.sh profile                  # SQL per request and an in-process profile
    bench/run.sh cmdb                     # CMDB: CSV import of 100k CIs / 300k relationships, impact
    bench/run.sh smoke                    # everything at a tiny scale, to check the scripts (~3 min)

Each scenario starts from a fresh database (a SQLite file under bench/results/<run>/, or a fresh
PostgreSQL database ``keel_bench_<name>`` on 127.0.0.1), runs ``keel migrate``, creates the user
``benchagent`` and its API token with the keel CLI, seeds incidents where needed (bench/seed.py),
starts ``keel serve --no-worker`` on port 8190, waits for every worker, runs bench/loadgen.py
``--repeat`` times while sampling the web server workers' memory (VmRSS every 0.25 s, VmHWM and PSS
at the end) and the CPU used by the workers, PostgreSQL and the whole machine, stops the server and
writes everything to bench/results/<run>/results.json plus summary.md. Numbers are medians over the
repeats. Every loop is bounded; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
KEEL = [PYTHON, "-m", "keel.cli"]
PORT = 8190
BASE = f"http://127.0.0.1:{PORT}"
PG_ADMIN = os.environ.get("KEEL_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
CREATE_BODY = (
    '{"title": "Bench incident {n}", "impact": "high", "urgency": "medium", "description": "Created by bench."}'
)

# (label, query) for the list scenario; the users and teams come from bench/seed.py.
OPEN = "new,assigned,in_progress,on_hold"
LIST_TARGETS = (
    ("default order", "limit=50"),
    ("state+priority", "state=in_progress&priority=P3&limit=50"),
    ("open P1/P2", f"state={OPEN}&priority=P1,P2&limit=50"),
    ("group queue", f"state={OPEN}&assignment_group=network&limit=50"),
    ("my work", "state=assigned,in_progress,on_hold&assignee=network-03&limit=50"),
    ("closed P2", "state=closed&priority=P2&limit=50"),
    ("group history", "assignment_group=service-desk&limit=50"),
)
DEFAULT_SWEEP = ("2x1", "2x2", "3x1", "4x1")


@dataclass
class Options:
    dbs: list[str]
    clients: int
    duration: float
    warmup: float
    repeat: int
    workers: int | None
    threads: int
    sizes: list[int]
    sweep: list[str]
    floor_duration: float
    out: Path
    src: Path | None = None  # --commit: Keel's src/ exported from that commit
    routing_rules: int = 0  # --routing-rules: rules that match no bench incident, for create
    results: dict[str, Any] = field(default_factory=dict)


# --- small utilities --------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2) if values else 0.0


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def run(command: list[str], env: dict[str, str], *, capture: bool = False, timeout: float = 1800) -> str:
    result = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout if capture else ""


# --- databases --------------------------------------------------------------------------------


@dataclass
class Database:
    kind: str  # sqlite | postgres
    name: str
    url: str
    env: dict[str, str]


def fresh_database(kind: str, name: str, options: Options) -> Database:
    """An empty, migrated database with benchagent (agent, service-desk) in it."""
    var = options.out / "var"
    var.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        path = options.out / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        import psycopg

        db_name = f"keel_bench_{name}"
        with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db_name}"')
        url = f"{PG_ADMIN}/{db_name}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEL_", "DATABASE_URL"))}
    env.update(DATABASE_URL=url, KEEL_VAR_DIR=str(var), KEEL_LOG_LEVEL="WARNING", PYTHONWARNINGS="ignore")
    if options.src is not None:
        env["PYTHONPATH"] = str(options.src)  # ahead of the editable install of the work tree
    run([*KEEL, "migrate", "-v", "0"], env)
    run([*KEEL, "user", "create", "benchagent", "--role", "agent", "--team", "service-desk", "--no-password"], env)
    return Database(kind, name, url, env)


def new_token(db: Database) -> str:
    return (
        run([*KEEL, "token", "create", "benchagent", "--name", "bench"], db.env, capture=True).strip().splitlines()[-1]
    )


def seed(db: Database, count: int) -> float:
    started = time.monotonic()
    output = run(
        [PYTHON, str(BENCH / "seed.py"), "--database-url", db.url, "--count", str(count)], db.env, capture=True
    )
    for line in output.strip().splitlines():
        log("  " + line.strip())
    return time.monotonic() - started


def discard(db: Database) -> None:
    """Drop the scenario's database (PostgreSQL) or delete its files (SQLite): they can be large."""
    if db.kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db.url.removeprefix('sqlite:///')}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "keel_bench_{db.name}" WITH (FORCE)')


# --- processes --------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def proc_status(pid: int) -> dict[str, int]:
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in {"VmRSS", "VmHWM", "RssAnon", "RssFile"}:
                values[key] = int(rest.split()[0])  # kB
    except OSError:
        pass
    return values


def proc_pss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def proc_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_s() -> float:
    """CPU of every postgres process on the machine (others' databases included)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += proc_cpu_s(int(entry.name))
            except OSError:
                continue
    return total


def machine_cpu() -> tuple[float, float, float]:
    """Jiffies since boot on all CPUs: total, idle (with iowait), stolen by the hypervisor."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return float(sum(fields[:8])), float(fields[3] + fields[4]), float(fields[7])


class Server:
    """``keel serve --no-worker`` on PORT, started and stopped by us (by pid only)."""

    def __init__(self, db: Database, token: str, workers: int | None, threads: int, log_path: Path) -> None:
        self.db = db
        self.token = token
        self.workers = workers
        self.threads = threads
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        if port_open():
            raise RuntimeError(f"port {PORT} is already in use; stop whatever listens there first")
        command = [*KEEL, "serve", "--no-worker", "--port", str(PORT), "--web-threads", str(self.threads)]
        if self.workers is not None:
            command += ["--web-workers", str(self.workers)]
        handle = self.log_path.open("ab")
        self.process = subprocess.Popen(command, env=self.db.env, cwd=REPO, stdout=handle, stderr=handle)
        handle.close()
        expected = self.workers or os.cpu_count() or 1
        deadline = time.monotonic() + 90
        failures = 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"keel serve exited early; see {self.log_path}")
            status = self.probe()
            failures = failures + 1 if status >= 500 else 0
            if failures >= 5:
                self.stop()
                raise RuntimeError(f"keel serve answers {status}; see {self.log_path}")
            if status == 200 and len(self.worker_pids()) >= expected:
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"keel serve did not become ready in 90 s; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def master_pid(self) -> int | None:
        if self.process is None:
            return None
        masters = children_of(self.process.pid)
        return masters[0] if masters else None

    def worker_pids(self) -> list[int]:
        master = self.master_pid()
        return children_of(master) if master else []

    def probe(self) -> int:
        """HTTP status of an authenticated list call (0 while nothing answers)."""
        request = urllib.request.Request(f"{BASE}/api/v1/incidents?limit=1", headers=self.auth())
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return 0

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        master = self.master_pid()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            if master is not None:
                with suppress(ProcessLookupError):
                    os.kill(master, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while port_open() and time.monotonic() < deadline:
            time.sleep(0.2)


def port_open() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", PORT)) == 0


def connections_per_worker(pids: list[int]) -> list[int]:
    """How many established connections to the server's port each worker holds, fewest first.

    granian's workers share one listening socket and keep each connection they accept: 16
    keep-alive clients split between 2 workers as chance has it (8/8 in a fifth of runs), and the
    clients of the busier worker wait longer, which is the run's p95."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == PORT and fields[3] == "01":  # 01: ESTABLISHED
                inodes.add(f"socket:[{fields[9]}]")
    counts = []
    for pid in pids:
        try:
            fds = Path(f"/proc/{pid}/fd").iterdir()
            counts.append(sum(1 for fd in fds if str(fd.readlink()) in inodes))
        except OSError:
            continue
    return sorted(counts)


class Sampler(threading.Thread):
    """Samples the web server's workers' memory and the CPU of workers, PostgreSQL and the machine."""

    def __init__(self, server: Server, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.interval = interval
        self.stopping = threading.Event()
        self.max_rss: dict[int, int] = {}
        self.cpu_start: dict[int, float] = {}
        self.cpu_last: dict[int, float] = {}
        self.split: list[int] = []

    def run(self) -> None:
        self.started = time.monotonic()
        self.pg0 = postgres_cpu_s()
        self.machine0 = machine_cpu()
        pids: list[int] = []
        tick = 0
        while not self.stopping.is_set():
            if tick % 4 == 0:
                pids = self.server.worker_pids()
                split = connections_per_worker(pids)
                self.split = split if sum(split) >= sum(self.split) else self.split  # not the closing ones
            for pid in pids:
                rss = proc_status(pid).get("VmRSS")
                if rss is not None:
                    self.max_rss[pid] = max(rss, self.max_rss.get(pid, 0))
                cpu = proc_cpu_s(pid)
                self.cpu_start.setdefault(pid, cpu)
                self.cpu_last[pid] = cpu
            tick += 1
            self.stopping.wait(self.interval)

    def finish(self) -> dict[str, Any]:
        self.stopping.set()
        self.join(timeout=5)
        wall = time.monotonic() - self.started
        total1, idle1, steal1 = machine_cpu()
        total0, idle0, steal0 = self.machine0
        pids = self.server.worker_pids()
        ends = {pid: proc_status(pid) for pid in pids}
        worker_cpu = sum(self.cpu_last[pid] - self.cpu_start[pid] for pid in self.cpu_last)
        mb = 1024
        return {
            "workers": len(pids),
            "rss_max_mb_per_worker": sorted(round(v / mb, 1) for v in self.max_rss.values()),
            "rss_max_mb": round(max(self.max_rss.values(), default=0) / mb, 1),
            "hwm_max_mb": round(max((s.get("VmHWM", 0) for s in ends.values()), default=0) / mb, 1),
            "pss_max_mb": round(max((proc_pss_kb(pid) or 0 for pid in pids), default=0) / mb, 1),
            "rss_anon_max_mb": round(max((s.get("RssAnon", 0) for s in ends.values()), default=0) / mb, 1),
            "worker_cpu_cores": round(worker_cpu / wall, 2),
            "postgres_cpu_cores": round((postgres_cpu_s() - self.pg0) / wall, 2),
            "machine_busy_pct": round(100 * (1 - (idle1 - idle0) / max(1.0, total1 - total0)), 1),
            "machine_steal_pct": round(100 * (steal1 - steal0) / max(1.0, total1 - total0), 1),
            "connections_per_worker": self.split,
        }


def loadgen(
    urls: list[str], labels: list[str], token: str, options: Options, out: Path, **extra: Any
) -> dict[str, Any]:
    command = [PYTHON, str(BENCH / "loadgen.py"), *urls, "-H", f"Authorization: Bearer {token}"]
    for label in labels:
        command += ["--label", label]
    if extra.get("body"):
        command += ["-X", "POST", "--body", extra["body"], "--expect", "201"]
    command += ["-c", str(options.clients), "-d", str(options.duration), "--warmup", str(options.warmup)]
    command += ["--json", str(out)]
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=options.duration + 120, check=False
    )
    if result.returncode != 0 or not out.exists():
        raise RuntimeError(f"loadgen failed:\n{result.stdout}\n{result.stderr}")
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def measured(
    server: Server, urls: list[str], labels: list[str], options: Options, name: str, **extra: Any
) -> dict[str, Any]:
    """Run loadgen ``repeat`` times against a running server; medians plus every run."""
    runs = []
    for index in range(options.repeat):
        sampler = Sampler(server)
        load0 = loadavg()
        sampler.start()
        result = loadgen(urls, labels, server.token, options, options.out / f"{name}-{index + 1}.json", **extra)
        result["server"] = sampler.finish()
        result["loadavg_before"] = load0
        runs.append(result)
        server_stats = result["server"]
        log(
            f"  run {index + 1}: {result['rps']:.1f} req/s, p50 {result['p50_ms']:.1f} ms,"
            f" p95 {result['p95_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, errors {result['errors']},"
            f" worker RSS max {server_stats['rss_max_mb']} MB, loadgen {result['loadgen_cpu_pct_of_one_core']}%"
            f" of a core, machine busy {server_stats['machine_busy_pct']}%, load {load0},"
            f" connections per worker {server_stats['connections_per_worker']}"
        )
    return {"runs": runs, **aggregate(runs)}


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("rps", "p50_ms", "p95_ms", "p99_ms")
    summary: dict[str, Any] = {key: median([r[key] for r in runs]) for key in keys}
    summary["errors"] = sum(r["errors"] for r in runs)
    summary["requests"] = sum(r["requests"] for r in runs)
    for key in ("rss_max_mb", "hwm_max_mb", "pss_max_mb", "rss_anon_max_mb"):
        summary[key] = max(r["server"][key] for r in runs)
    for key in ("worker_cpu_cores", "postgres_cpu_cores", "machine_busy_pct"):
        summary[key] = median([r["server"][key] for r in runs])
    summary["loadgen_cpu_pct"] = median([r["loadgen_cpu_pct_of_one_core"] for r in runs])
    summary["workers"] = runs[0]["server"]["workers"]
    labels = runs[0].get("by_target", {}).keys()
    summary["by_target"] = {
        label: {key: median([r["by_target"][label][key] for r in runs]) for key in (*keys, "errors")}
        for label in labels
    }
    return summary


# --- scenarios --------------------------------------------------------------------------------


def config_name(workers: int | None, threads: int) -> str:
    count = workers or os.cpu_count() or 1
    return f"{count}x{threads}"


def scenario_create(options: Options, *, workers: int | None = None, threads: int | None = None, tag: str = "") -> None:
    workers = options.workers if workers is None else workers
    threads = options.threads if threads is None else threads
    for kind in options.dbs:
        name = f"create_{kind}{tag}"
        log(f"create via API on {kind}, {config_name(workers, threads)} workers, {options.clients} clients")
        db = fresh_database(kind, "create", options)
        if options.routing_rules:
            run([PYTHON, str(BENCH / "routing_rules.py"), "--count", str(options.routing_rules)], db.env)
            tag = f"{tag}_rules{options.routing_rules}"
            name = f"create_{kind}{tag}"
        token = new_token(db)
        with Server(db, token, workers, threads, options.out / f"{name}-serve.log") as server:
            result = measured(server, [f"{BASE}/api/v1/incidents"], [], options, name, body=CREATE_BODY)
        result.update(db=kind, config=config_name(workers, threads), clients=options.clients)
        options.results.setdefault("create", {})[f"{kind}{tag}"] = result
        discard(db)
        save(options)


def scenario_floor(options: Options) -> None:
    for kind in options.dbs:
        log(f"raw INSERT floor on {kind}, 16 threads")
        db = fresh_database(kind, "floor", options)
        section: dict[str, Any] = {}
        for variant, flags in (("incident", []), ("incident+timeline", ["--with-timeline"])):
            values = []
            for index in range(options.repeat):
                out = options.out / f"floor_{kind}_{variant}-{index + 1}.json"
                command = [PYTHON, str(BENCH / "rawinsert.py"), "--database-url", db.url, "--threads", "16"]
                command += ["--duration", str(options.floor_duration), "--json", str(out), *flags]
                log("  " + run(command, db.env, capture=True).strip())
                values.append(json.loads(out.read_text()))
            section[variant] = {
                "inserts_per_s": median([v["inserts_per_s"] for v in values]),
                "p50_ms": median([v["p50_ms"] for v in values]),
                "p95_ms": median([v["p95_ms"] for v in values]),
                "client_cpu_pct": median([v["client_cpu_pct_of_one_core"] for v in values]),
                "runs": values,
            }
        options.results.setdefault("floor", {})[kind] = section
        discard(db)
        save(options)


def scenario_list(options: Options) -> None:
    for size in options.sizes:
        for kind in options.dbs:
            name = f"list_{kind}_{size}"
            log(f"filtered list on {kind} with {size:,} incidents, {options.clients} clients")
            db = fresh_database(kind, f"list_{size}", options)
            seconds = seed(db, size)
            token = new_token(db)
            urls = [f"{BASE}/api/v1/incidents?{query}" for _, query in LIST_TARGETS]
            labels = [label for label, _ in LIST_TARGETS]
            with Server(db, token, options.workers, options.threads, options.out / f"{name}-serve.log") as server:
                result = measured(server, urls, labels, options, name)
                solo = service_times(server, options, name)
            for label, single in solo.items():
                result["by_target"][label]["solo_p50_ms"] = single["p50_ms"]
                result["by_target"][label]["solo_p95_ms"] = single["p95_ms"]
            result.update(
                db=kind, size=size, seed_s=round(seconds, 1), config=config_name(options.workers, options.threads)
            )
            for label, sub in result["by_target"].items():
                log(
                    f"    {label:15} {options.clients} clients: p50 {sub['p50_ms']:7.1f} ms"
                    f"  p95 {sub['p95_ms']:7.1f} ms  errors {sub['errors']:.0f};"
                    f"  1 client: p50 {sub['solo_p50_ms']:7.1f} ms  p95 {sub['solo_p95_ms']:7.1f} ms"
                )
            options.results.setdefault("list", {})[f"{kind}_{size}"] = result
            discard(db)
            save(options)


def service_times(server: Server, options: Options, name: str) -> dict[str, dict[str, Any]]:
    """Each filter alone with one client for up to 3 s: its service time, without queueing behind the others."""
    solo = replace(options, clients=1, duration=3.0, warmup=0.5)
    times = {}
    for index, (label, query) in enumerate(LIST_TARGETS):
        out = options.out / f"{name}-solo-{index + 1}.json"
        times[label] = loadgen([f"{BASE}/api/v1/incidents?{query}"], [], server.token, solo, out)
    return times


def scenario_sweep(options: Options) -> None:
    """The create scenario under each worker configuration: one run of at most 10 s each."""
    quick = replace(options, repeat=1, duration=min(options.duration, 10.0))
    for config in options.sweep:
        workers, _, threads = config.partition("x")
        scenario_create(quick, workers=int(workers), threads=int(threads or 1), tag=f"@{config}")


def scenario_profile(options: Options) -> None:
    for kind in options.dbs:
        log(f"profile on {kind}")
        db = fresh_database(kind, "profile", options)
        seed(db, 1000)
        out = options.out / f"profile_{kind}.json"
        command = [PYTHON, str(BENCH / "profile_requests.py"), "--database-url", db.url, "--json", str(out)]
        command += ["--requests", "300"]
        text = run(command, db.env, capture=True)
        (options.out / f"profile_{kind}.txt").write_text(text)
        data = json.loads(out.read_text())
        options.results.setdefault("profile", {})[kind] = {
            name: {
                "django_sql": section["sql"]["count"],
                "server_statements": section.get("server_statements", {}).get("count"),
                **section["timing"],
            }
            for name, section in data["endpoints"].items()
        }
        for name, section in options.results["profile"][kind].items():
            log(
                f"  {name}: {section['django_sql']} SQL via Django"
                + (f", {section['server_statements']} received by PostgreSQL" if section["server_statements"] else "")
                + f"; {section['wall_ms_per_request']} ms/request in-process = {section['sql_ms_per_request']} ms SQL"
                f" + {section['python_ms_per_request']} ms Python"
            )
        log(f"  full listing and cProfile: {options.out / f'profile_{kind}.txt'}")
        discard(db)
        save(options)


# --- reporting --------------------------------------------------------------------------------


def save(options: Options) -> None:
    options.results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    options.results["loadavg_end"] = loadavg()
    (options.out / "results.json").write_text(json.dumps(options.results, indent=2) + "\n")


def table(results: dict[str, Any]) -> str:
    lines = []
    if "create" in results:
        lines += create_table(results["create"], results.get("floor", {}))
    if "floor" in results:
        lines += ["| Raw floor (16 threads, autocommit) | DB | inserts/s | p50 ms | p95 ms |", "|---|---|---|---|---|"]
        for kind, section in results["floor"].items():
            for variant, v in section.items():
                what = "1 INSERT" if variant == "incident" else "BEGIN; 2 INSERTs; COMMIT"
                lines.append(f"| {what} | {kind} | {v['inserts_per_s']:,.0f} | {v['p50_ms']:.2f} | {v['p95_ms']:.2f} |")
        lines.append("")
    if "list" in results:
        lines += list_table(results["list"])
    if "profile" in results:
        lines += [
            "| Profile (in-process) | DB | SQL via Django | Statements at server | ms/request | in SQL | Python |",
            "|---|---|---|---|---|---|---|",
        ]
        for kind, endpoints in results["profile"].items():
            for name, p in endpoints.items():
                cells = [name, kind, p["django_sql"], p["server_statements"] or "", p["wall_ms_per_request"]]
                cells += [p["sql_ms_per_request"], p["python_ms_per_request"]]
                lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def create_table(creates: dict[str, Any], floor: dict[str, Any]) -> list[str]:
    lines = [
        "| Scenario | DB | Web workers | Clients | req/s | p50 ms | p95 ms | p99 ms | Errors | Worker RSS max MB (PSS)"
        " | CPU ms/req web (PG) | Machine busy | ÷ raw INSERT/s (÷ with timeline) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, r in creates.items():
        ratio = ""
        raw = floor.get(r["db"])
        if raw:
            single, both = raw["incident"]["inserts_per_s"], raw["incident+timeline"]["inserts_per_s"]
            ratio = f"{r['rps'] / single:.3f} of {single:,.0f} ({r['rps'] / both:.3f} of {both:,.0f})"
        rps = r["rps"] or 1.0
        cpu = f"{1000 * r['worker_cpu_cores'] / rps:.1f}"
        if r["db"] == "postgres":
            cpu += f" ({1000 * r['postgres_cpu_cores'] / rps:.1f})"
        cells = [
            "create (sweep)" if "@" in key else "create",
            r["db"],
            r["config"],
            r["clients"],
            f"{r['rps']:.0f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            r["errors"],
            f"{r['rss_max_mb']:.0f} ({r['pss_max_mb']:.0f})",
            cpu,
            f"{r['machine_busy_pct']:.0f}%",
            ratio,
        ]
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return [*lines, ""]


def list_table(lists: dict[str, Any]) -> list[str]:
    lines = [
        "| List scenario | DB | Incidents | Filter | req/s (mix) | p50 ms | p95 ms | Errors | CPU ms/req web (PG)"
        " | 1 client p50 ms | 1 client p95 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in lists.values():
        rps = r["rps"] or 1.0
        cpu = f"{1000 * r['worker_cpu_cores'] / rps:.1f}"
        if r["db"] == "postgres":
            cpu += f" ({1000 * r['postgres_cpu_cores'] / rps:.1f})"
        lines.append(
            f"| list mix | {r['db']} | {r['size']:,} | all 7, round-robin | {r['rps']:.0f} | {r['p50_ms']:.1f}"
            f" | {r['p95_ms']:.1f} | {r['errors']} | {cpu} | | |"
        )
        for label, sub in r["by_target"].items():
            lines.append(
                f"| | {r['db']} | {r['size']:,} | {label} | | {sub['p50_ms']:.1f} | {sub['p95_ms']:.1f}"
                f" | {sub['errors']:.0f} | | {sub.get('solo_p50_ms', 0):.1f} | {sub.get('solo_p95_ms', 0):.1f} |"
            )
    return [*lines, ""]


def export_commit(revision: str, out: Path) -> tuple[Path, str]:
    """``git archive`` the commit's src/ into the results folder (read-only for the repository)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", f"{revision}^{{commit}}"], cwd=REPO, capture_output=True, text=True, check=False
    )
    if commit.returncode != 0:
        raise SystemExit(f"run: unknown commit {revision!r}")
    short = commit.stdout.strip()
    target = out / f"src-{short}"
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", short, "src"], cwd=REPO, capture_output=True, check=True
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target / "src", short


def code_version() -> str:
    """The commit measured, and whether src/ differs from it (others may be editing the tree)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" + uncommitted changes in src/" if dirty else "")


@contextmanager
def results_dir(options: Options, scenarios: list[str]) -> Iterator[None]:
    options.out.mkdir(parents=True, exist_ok=True)
    options.results.update(
        scenarios=scenarios,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        machine={"cpus": os.cpu_count(), "loadavg_start": loadavg(), "python": sys.version.split()[0]},
        code=options.results.get("code") or code_version(),
        settings={
            "clients": options.clients,
            "duration_s": options.duration,
            "warmup_s": options.warmup,
            "repeat": options.repeat,
            "sizes": options.sizes,
        },
    )
    try:
        yield
    finally:
        save(options)
        markdown = table(options.results)
        code_now = options.results["code"] if options.src is not None else code_version()
        if code_now != options.results["code"]:
            log(f"WARNING: the code changed during the run ({options.results['code']} → {code_now})")
        header = (
            f"Keel bench {options.results['started_at']} → {options.results['finished_at']}, code {code_now}, "
            f"{os.cpu_count()} CPUs, load average at start {options.results['machine']['loadavg_start']}, "
            f"at end {options.results['loadavg_end']}\n\n"
        )
        (options.out / "summary.md").write_text(header + markdown)
        print("\n" + header + markdown)
        log(f"results in {options.out}")


def scenario_cmdb(options: Options) -> None:
    """CSV import of 100k CIs and ~300k relationships, then upstream impact of a CI with ~1,000
    dependents: bench/cmdb.py, one database at a time, its table in <results>/cmdb-<db>/summary.md."""
    for kind in options.dbs:
        out = options.out / f"cmdb-{kind}"
        output = run(
            [PYTHON, str(BENCH / "cmdb.py"), "--db", kind, "--out", str(out), "--queries", "50", "--depth", "10"],
            {**os.environ, "PYTHONPATH": str(options.src)} if options.src is not None else dict(os.environ),
            capture=True,
            timeout=3600,
        )
        for line in output.strip().splitlines():
            log("  " + line)


SCENARIOS = {
    "create": scenario_create,
    "floor": scenario_floor,
    "list": scenario_list,
    "sweep": scenario_sweep,
    "profile": scenario_profile,
    "cmdb": scenario_cmdb,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="+", choices=[*SCENARIOS, "all", "smoke"])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=12.0, help="measured seconds per loadgen run (max 120)")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--web-workers", type=int, help="default: keel serve's own (one per CPU)")
    parser.add_argument("--web-threads", type=int, default=1, help="threads per web worker (keel serve's default: 1)")
    parser.add_argument("--size", type=int, action="append", help="incidents for the list scenario (repeatable)")
    parser.add_argument("--sweep", default=",".join(DEFAULT_SWEEP), help="WORKERSxTHREADS,… for the sweep scenario")
    parser.add_argument("--floor-duration", type=float, default=8.0)
    parser.add_argument("--out", type=Path, help="results folder (default bench/results/<time>-<scenarios>)")
    parser.add_argument("--commit", help="measure Keel's src/ as of this commit (git archive), not the work tree")
    parser.add_argument(
        "--routing-rules", type=int, default=0, help="create: this many routing rules no incident matches"
    )
    args = parser.parse_args(argv)
    scenarios = list(dict.fromkeys(args.scenario))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    sizes = args.size or [100_000, 1_000_000]
    duration, repeat, floor_duration = args.duration, args.repeat, args.floor_duration
    if "smoke" in scenarios:
        scenarios = ["create", "floor", "list", "profile"]
        sizes = args.size or [5_000]
        duration, repeat, floor_duration = 3.0, 1, 3.0
    elif "all" in scenarios:
        scenarios = ["floor", "create", "list", "profile", "sweep", "cmdb"]
    if not 0 < duration <= 120 or not 1 <= repeat <= 10 or not 1 <= args.clients <= 256:
        raise SystemExit("run: duration 0..120 s, repeat 1..10, clients 1..256")
    if any(not 1 <= size <= 5_000_000 for size in sizes):
        raise SystemExit("run: --size must be 1..5,000,000")
    options = Options(
        dbs=["sqlite", "postgres"] if args.db == "both" else [args.db],
        clients=args.clients,
        duration=duration,
        warmup=args.warmup if "smoke" not in args.scenario else 1.0,
        repeat=repeat,
        workers=args.web_workers,
        threads=args.web_threads,
        sizes=sizes,
        sweep=[c.strip() for c in args.sweep.split(",") if c.strip()],
        floor_duration=floor_duration,
        out=args.out or BENCH / "results" / f"{stamp}-{'-'.join(args.scenario)}",
        routing_rules=args.routing_rules,
    )
    if args.commit:
        options.out.mkdir(parents=True, exist_ok=True)
        options.src, short = export_commit(args.commit, options.out)
        options.results["code"] = f"{short} (exported with --commit)"
    with results_dir(options, scenarios):
        for scenario in scenarios:
            SCENARIOS[scenario](options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
