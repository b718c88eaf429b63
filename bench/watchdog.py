#!/usr/bin/env python3
"""What the web server's statement watchdog (src/keel/lib/watchdog.py) costs a statement.

    .venv/bin/python bench/watchdog.py                       # SQLite file in a temp dir, ~10 s
    .venv/bin/python bench/watchdog.py --database-url postgres://postgres@127.0.0.1:5432/postgres

Two figures, in one process:

- the wrapper alone: ``Watchdog.guard`` around an execute that does nothing, against calling that
  execute directly (what the watchdog adds to every statement, free of the database's noise);
- ``SELECT 1`` through a Django cursor, with and without the wrapper installed, in alternating
  blocks (the same statement as a request would send it; the difference is within the noise).

Nothing leaves 127.0.0.1 (a PostgreSQL URL must name it); every loop is bounded by --statements.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlparse

import django
from django.db import connection

from keel.lib.watchdog import Watchdog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="PostgreSQL on 127.0.0.1 (default: a temporary SQLite file)")
    parser.add_argument("--statements", type=int, default=5_000, help="statements per block (default 5,000)")
    parser.add_argument("--blocks", type=int, default=6, help="blocks with and without the wrapper (default 6)")
    options = parser.parse_args(argv)
    if options.database_url and urlparse(options.database_url).hostname not in {"127.0.0.1", "localhost"}:
        parser.error("--database-url must be on 127.0.0.1")
    directory = tempfile.mkdtemp(prefix="keel-watchdog-")
    os.environ.update(KEEL_VAR_DIR=directory, DJANGO_SETTINGS_MODULE="keel.config.settings")
    os.environ["DATABASE_URL"] = options.database_url or f"sqlite:///{directory}/bench.sqlite3"
    django.setup()  # the settings are read now, with DATABASE_URL as set above
    watchdog = Watchdog(limit=35)
    wrapper = per_call(lambda: watchdog.guard(_nothing, "", None, False, _CONTEXT), options.statements * 20)
    bare = per_call(lambda: _nothing("", None, False, _CONTEXT), options.statements * 20)
    added = (wrapper - bare) * 1e6
    print(f"wrapper alone: {added:.2f} µs a statement (guard {wrapper * 1e6:.2f}, bare {bare * 1e6:.2f})")

    connection.ensure_connection()
    with_wrapper, without = [], []
    for _ in range(options.blocks):
        without.append(per_call(lambda: _select_one(connection), options.statements))
        with connection.execute_wrapper(watchdog.guard):
            with_wrapper.append(per_call(lambda: _select_one(connection), options.statements))
    median_with, median_without = statistics.median(with_wrapper), statistics.median(without)
    print(
        f"SELECT 1 on {connection.vendor}: {median_without * 1e6:.1f} µs without, {median_with * 1e6:.1f} µs with "
        f"(median of {options.blocks} blocks of {options.statements:,}; difference "
        f"{(median_with - median_without) * 1e6:+.1f} µs)"
    )
    return 0


_CONTEXT: dict[str, Any] = {"connection": SimpleNamespace(connection=None)}


def _nothing(sql: str, params: object, many: bool, context: object) -> None:
    return None


def _select_one(connection: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def per_call(call: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - started) / count


if __name__ == "__main__":
    sys.exit(main())
