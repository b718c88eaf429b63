#!/usr/bin/env python3
"""Where the worker's time goes when it processes alert payloads: statements and Python, in one process.

    .venv/bin/python bench/profile_processing.py                       # PostgreSQL, 40 payloads of 100 new alerts
    .venv/bin/python bench/profile_processing.py --refire              # then the same alerts again (updates)
    .venv/bin/python bench/profile_processing.py --profile             # and a cProfile of the processing

Makes a fresh PostgreSQL database (``keel_bench_processing``), migrates it, registers an
Alertmanager source, stores ``--payloads`` notifications of 100 alerts each (bench/intake.py's
alerts: one alertname and service, so they correlate into one incident), then calls
``process_pending()`` until nothing is pending. Reports alerts/s and the time per batch split by
statement (first words of its SQL, round trip included) and the rest (Python). The database is
dropped at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.append(str(BENCH.parent / "src"))
PG_ADMIN = os.environ.get("KEEL_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "keel_bench_processing"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payloads", type=int, default=40, help="notifications of 100 alerts (1..10,000)")
    parser.add_argument("--refire", action="store_true", help="send the same alerts again and process those too")
    parser.add_argument("--profile", action="store_true", help="print the top functions of a cProfile")
    parser.add_argument("--sort", default="tottime", help="cProfile order: tottime, cumulative, …")
    parser.add_argument("--top", type=int, default=30, help="functions of the cProfile to print")
    args = parser.parse_args(argv)
    if not 1 <= args.payloads <= 10_000:
        raise SystemExit("profile_processing: --payloads must be 1..10,000")
    import psycopg

    with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    os.environ.update(DATABASE_URL=f"{PG_ADMIN}/{DB_NAME}", KEEL_LOG_LEVEL="WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.config.settings")
    try:
        return run(args)
    finally:
        from django.db import connection

        connection.close()
        with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def run(args: argparse.Namespace) -> int:
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from django.core.management import call_command

    from intake import alert_json, notification
    from keel.integrations.actions.intake import receive_for
    from keel.integrations.actions.processing import process_pending
    from keel.integrations.actions.sources import create_source

    call_command("migrate", verbosity=0)
    source = create_source(actor=None, name="profiled", kind="alertmanager").source

    def fill() -> int:
        for index in range(args.payloads):
            alerts = [alert_json(f"fp{index:04d}{n:03d}", f"host-{index:04d}-{n:03d}:9100") for n in range(100)]
            receive_for(source, body=notification(alerts).encode())
        return args.payloads * 100

    for label in ["new alerts", "the same alerts again"][: 2 if args.refire else 1]:
        alerts = fill()  # the same identities each round: the second re-sends them
        timing = Timing()
        profiler = cProfile.Profile() if args.profile else None
        started, cpu = time.perf_counter(), time.process_time()
        batches = 0
        with timing.installed():
            if profiler:
                profiler.enable()
            while process_pending().payloads:
                batches += 1
            if profiler:
                profiler.disable()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"=== {label}: {alerts:,} alerts in {batches} batches, {wall:.2f} s: {alerts / wall:,.0f} alerts/s")
        print(f"    process CPU {cpu:.2f} s; in SQL calls {timing.total:.2f} s; Python {wall - timing.total:.2f} s")
        print(f"    per batch of {alerts // max(batches, 1):,} alerts (ms; calls per batch):")
        for name, (count, seconds) in sorted(timing.by_statement.items(), key=lambda item: -item[1][1]):
            print(f"      {seconds / batches * 1000:8.1f}  {count / batches:5.1f}  {name}")
        print(f"      {(wall - timing.total) / batches * 1000:8.1f}        Python (everything else)")
        if profiler:
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats(args.sort).print_stats(args.top)
            print(text.getvalue())
    return 0


class Timing:
    """Time inside each kind of statement (its first words), round trip included."""

    def __init__(self) -> None:
        self.by_statement: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        self.total = 0.0

    def installed(self) -> Any:
        from django.db import connection

        return connection.execute_wrapper(self)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            entry = self.by_statement[_kind_of(sql)]
            entry[0] += 1
            entry[1] += spent
            self.total += spent


def _kind_of(sql: str) -> str:
    words = re.sub(r'"', "", " ".join(sql.split()))
    for pattern in (r"^(INSERT INTO \S+)", r"^(UPDATE \S+)", r"^(DELETE FROM \S+)", r"^SELECT .*? FROM (\S+)"):
        found = re.match(pattern, words)
        if found:
            return found.group(0)[:20] + " … " + found.group(1) if pattern.startswith("^SELECT") else found.group(1)
    return words[:50]


if __name__ == "__main__":
    raise SystemExit(main())
