#!/usr/bin/env python3
"""The physical floor: raw single-row INSERTs of an incident row, no Django, no HTTP.

    .venv/bin/python bench/rawinsert.py --database-url postgres://postgres@127.0.0.1:5432/keel_bench_raw \\
        --threads 16 --duration 10 [--with-timeline]

Each of ``--threads`` threads holds its own connection in autocommit mode and inserts, as fast as
it can, the row the API would write for ``{"title": ..., "impact": "high", "urgency": "medium",
"description": ...}``: every column of ``incidents_incident`` (same values, the same 15 indexes and
CHECK constraints, foreign keys checked). ``--with-timeline`` also writes the "opened" timeline row
in the same transaction (BEGIN; INSERT incident RETURNING id; INSERT timeline entry; COMMIT), which
is the minimum an API create must do. The database must be migrated and hold the user
``--username`` (the orchestrator, ``bench/run.py floor``, prepares a fresh one).

PostgreSQL through psycopg 3 (statements are prepared after the 5th run, as psycopg does by
default); ``sqlite:///path`` runs the same loop through the sqlite3 module (WAL, synchronous=NORMAL,
busy_timeout 20 s, BEGIN IMMEDIATE for the two-row variant), i.e. the embedded profile's floor.
Bounded: at most 120 s and 1,000,000 inserts. Prints a human line; ``--json`` writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from seed import COLUMNS as INCIDENT_COLUMNS  # the same row the seeder writes (run as bench/rawinsert.py)

MAX_DURATION_S = 120.0
MAX_INSERTS = 1_000_000

TIMELINE_COLUMNS = ("subject_type", "subject_id", "at", "actor_id", "kind", "summary", "body", "is_public", "data")


def incident_row(n: int, user_id: int, now: Any) -> tuple[Any, ...]:
    return (
        f"bench raw insert {n}",
        "load",
        user_id,
        user_id,
        "api",
        None,
        None,
        None,
        None,
        1,
        2,
        2,
        "new",
        "",
        None,
        None,
        "",
        "",
        None,
        None,
        0,
        0,
        False,
        now,
        None,
        None,
        None,
        now,
        1,
    )


def timeline_row(incident_id: int, user_id: int, now: Any) -> tuple[Any, ...]:
    return ("incident", incident_id, now, user_id, "opened", "Opened by benchagent via API as P2", "load", True, "{}")


class Counter:
    def __init__(self, limit: int, stop_at: float) -> None:
        self.lock = threading.Lock()
        self.issued = 0
        self.limit = limit
        self.stop_at = stop_at
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}

    def take(self) -> int | None:
        with self.lock:
            if self.issued >= self.limit or time.perf_counter() >= self.stop_at:
                return None
            self.issued += 1
            return self.issued


def postgres_worker(url: str, counter: Counter, user_id: int, with_timeline: bool, ready: threading.Barrier) -> None:
    import psycopg

    cols = ", ".join(INCIDENT_COLUMNS)
    insert = f"INSERT INTO incidents_incident ({cols}) VALUES ({', '.join(['%s'] * len(INCIDENT_COLUMNS))})"
    insert_returning = insert + " RETURNING id"
    timeline = (
        f"INSERT INTO activity_timelineentry ({', '.join(TIMELINE_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(TIMELINE_COLUMNS))})"
    )
    latencies = []
    with psycopg.connect(url, autocommit=True) as conn:
        ready.wait()
        while (n := counter.take()) is not None:
            now = datetime.now(UTC)
            started = time.perf_counter()
            try:
                if with_timeline:
                    with conn.transaction():
                        row = conn.execute(insert_returning, incident_row(n, user_id, now)).fetchone()
                        assert row is not None
                        conn.execute(timeline, timeline_row(row[0], user_id, now))
                else:
                    conn.execute(insert, incident_row(n, user_id, now))
            except psycopg.Error as error:
                with counter.lock:
                    counter.errors[type(error).__name__] = counter.errors.get(type(error).__name__, 0) + 1
                continue
            latencies.append(time.perf_counter() - started)
    with counter.lock:
        counter.latencies.extend(latencies)


def sqlite_worker(path: str, counter: Counter, user_id: int, with_timeline: bool, ready: threading.Barrier) -> None:
    import sqlite3

    conn = sqlite3.connect(path, timeout=20, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    cols = ", ".join(INCIDENT_COLUMNS)
    insert = f"INSERT INTO incidents_incident ({cols}) VALUES ({', '.join('?' * len(INCIDENT_COLUMNS))})"
    timeline = (
        f"INSERT INTO activity_timelineentry ({', '.join(TIMELINE_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(TIMELINE_COLUMNS))})"
    )
    latencies = []
    ready.wait()
    while (n := counter.take()) is not None:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
        started = time.perf_counter()
        try:
            if with_timeline:
                conn.execute("BEGIN IMMEDIATE")
                incident_id = conn.execute(insert, incident_row(n, user_id, now)).lastrowid
                conn.execute(timeline, timeline_row(incident_id or 0, user_id, now))
                conn.execute("COMMIT")
            else:
                conn.execute(insert, incident_row(n, user_id, now))
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            with counter.lock:
                counter.errors[type(error).__name__] = counter.errors.get(type(error).__name__, 0) + 1
            continue
        latencies.append(time.perf_counter() - started)
    conn.close()
    with counter.lock:
        counter.latencies.extend(latencies)


def find_user(url: str, username: str) -> int:
    """The user's id, after checking that the incident table still has the columns written here."""
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(sqlite_path(url)) as conn:
            row = conn.execute("SELECT id FROM accounts_user WHERE username = ?", (username,)).fetchone()
            columns = {r[1] for r in conn.execute("PRAGMA table_info(incidents_incident)")}
    else:
        import psycopg

        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT id FROM accounts_user WHERE username = %s", (username,)).fetchone()
            query = "SELECT column_name FROM information_schema.columns WHERE table_name = 'incidents_incident'"
            columns = {r[0] for r in conn.execute(query)}
    if columns - {"id"} != set(INCIDENT_COLUMNS):
        raise SystemExit(
            f"rawinsert: incidents_incident changed (new: {sorted(columns - {'id'} - set(INCIDENT_COLUMNS))}); "
            "update INCIDENT_COLUMNS and incident_row in bench/rawinsert.py"
        )
    if row is None:
        raise SystemExit(f"rawinsert: no user {username!r} in the database; create it first")
    return int(row[0])


def sqlite_path(url: str) -> str:
    return unquote(urlsplit(url).path)[1:] if url.startswith("sqlite:///") else url


def check_loopback(url: str) -> None:
    if url.startswith("sqlite"):
        return
    host = urlsplit(url).hostname or ""
    if host not in {"127.0.0.1", "localhost", "::1"} and not host.startswith("/"):
        raise SystemExit(f"rawinsert: refusing database host {host!r}; only this machine's loopback")


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values), max(1, math.ceil(pct / 100 * len(values)))) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--inserts", type=int, default=MAX_INSERTS)
    parser.add_argument("--with-timeline", action="store_true", help="also insert the 'opened' timeline row")
    parser.add_argument("--username", default="benchagent")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not 0 < args.duration <= MAX_DURATION_S or not 0 < args.inserts <= MAX_INSERTS:
        raise SystemExit("rawinsert: duration must be 0..120 s and inserts 1..1,000,000")
    if not 1 <= args.threads <= 64:
        raise SystemExit("rawinsert: threads must be 1..64")
    check_loopback(args.database_url)
    user_id = find_user(args.database_url, args.username)
    sqlite = args.database_url.startswith("sqlite")
    target = sqlite_worker if sqlite else postgres_worker
    where = sqlite_path(args.database_url) if sqlite else args.database_url
    ready = threading.Barrier(args.threads + 1)
    counter = Counter(args.inserts, float("inf"))
    threads = [
        threading.Thread(target=target, args=(where, counter, user_id, args.with_timeline, ready), daemon=True)
        for _ in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    ready.wait()  # every connection is open: start the clock
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    counter.stop_at = started + args.duration
    for thread in threads:
        thread.join(timeout=args.duration + 60)
    elapsed = time.perf_counter() - started
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime
    values = sorted(counter.latencies)
    what = "incident + timeline rows per transaction" if args.with_timeline else "single-row incident INSERTs"
    result = {
        "database": "sqlite" if sqlite else "postgres",
        "what": what,
        "threads": args.threads,
        "duration_s": round(elapsed, 3),
        "inserts": len(values),
        "inserts_per_s": round(len(values) / elapsed, 1),
        "p50_ms": round(percentile(values, 50) * 1000, 3),
        "p95_ms": round(percentile(values, 95) * 1000, 3),
        "p99_ms": round(percentile(values, 99) * 1000, 3),
        "errors": counter.errors,
        "client_cpu_pct_of_one_core": round(100 * cpu / elapsed, 1),
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"raw {result['database']} {what}, {args.threads} threads: {result['inserts_per_s']:.0f}/s, "
        f"p50 {result['p50_ms']:.2f} ms, p95 {result['p95_ms']:.2f} ms, errors {sum(counter.errors.values())}, "
        f"client CPU {result['client_cpu_pct_of_one_core']}% of one core"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
