#!/usr/bin/env python3
"""Where a request's time goes: SQL statements per request and an in-process profile.

    .venv/bin/python bench/profile_requests.py --database-url postgres://postgres@127.0.0.1:5432/keel_bench_profile

In one process, through Django's test ``Client`` (the whole middleware stack and django-ninja, no
gunicorn, no network client), for ``POST /api/v1/incidents`` and a ``GET /api/v1/incidents?limit=50``
page:

1. the SQL statements Django sends (``CaptureQueriesContext``), listed;
2. on PostgreSQL, what the server really received, from its statement log (the database is set to
   ``log_statement = 'all'`` for the run, then reset): Django's connection health check
   (``SELECT 1``) and the transaction's ``BEGIN`` are round trips the ORM never shows;
3. the time split over ``--requests`` sequential requests: wall time per request, time inside SQL
   calls (``connection.execute_wrapper``, round trip included) and the rest (Python);
4. a cProfile of those requests: the top functions by cumulative and by own time.

The database must be migrated and hold ``--username`` (``bench/run.py profile`` prepares one with
1,000 seeded incidents so the list page is full). Writes ``--json`` if given.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import sys
import time
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parent.parent / "src"
PG_LOG = Path("/var/log/postgresql/postgresql-15-main.log")
CREATE_BODY = '{"title": "profile %d", "impact": "high", "urgency": "medium", "description": "profiling"}'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--username", default="benchagent")
    parser.add_argument("--requests", type=int, default=300, help="per endpoint, for the timing and the profile")
    parser.add_argument("--list-query", default="limit=50")
    parser.add_argument("--pg-log", type=Path, default=PG_LOG)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not args.database_url:
        raise SystemExit("profile: give --database-url or set DATABASE_URL")
    if not 1 <= args.requests <= 5000:
        raise SystemExit("profile: --requests must be 1..5000")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.config.settings")
    os.environ.setdefault("KEEL_LOG_LEVEL", "WARNING")
    sys.path.append(str(SRC))  # when keel is not installed; PYTHONPATH (run.py --commit) comes first
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from django.db import close_old_connections, connection
    from django.test import Client

    from keel.accounts.actions import issue_api_token
    from keel.accounts.models import User

    user = User.objects.get(username=args.username)
    token = issue_api_token(user, name="profile").raw
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    counter = iter(range(10**9))

    def as_under_wsgi(request: Any) -> Any:
        # Django's WSGI handler runs close_old_connections() when a request starts and finishes (the
        # test Client skips it); that is what arms the per-request connection health check.
        close_old_connections()
        try:
            return request()
        finally:
            close_old_connections()

    def create() -> Any:
        body = CREATE_BODY % next(counter)
        return as_under_wsgi(lambda: client.post("/api/v1/incidents", body, content_type="application/json"))

    def list_page() -> Any:
        return as_under_wsgi(lambda: client.get(f"/api/v1/incidents?{args.list_query}"))

    report: dict[str, Any] = {"database": connection.vendor, "endpoints": {}}
    for name, call, expected in (("create", create, 201), ("list", list_page, 200)):
        for _ in range(3):
            assert call().status_code == expected  # warm: imports, URL resolver, prepared caches
        section: dict[str, Any] = {}
        section["sql"] = capture_sql(call, expected)
        if connection.vendor == "postgresql":
            section["server_statements"] = server_statements(call, connection, args.pg_log)
        section["timing"] = time_split(call, expected, args.requests, connection)
        section["profile"] = profile(call, args.requests)
        report["endpoints"][name] = section
        print_section(name, section)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def capture_sql(call: Any, expected: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == expected, response.content[:300]
    statements = [_shorten(query["sql"]) for query in captured.captured_queries]
    return {"count": len(statements), "statements": statements, "response_bytes": len(response.content)}


def server_statements(call: Any, connection: Any, log: Path) -> dict[str, Any]:
    """What PostgreSQL received for one request, read back from its statement log."""
    name = connection.settings_dict["NAME"]
    if not log.exists():
        return {"error": f"{log} not found"}
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER DATABASE \"{name}\" SET log_statement = 'all'")
    connection.close()  # the setting applies to new connections
    try:
        call()  # connect and warm
        offset = log.stat().st_size
        call()
        time.sleep(0.3)
        with log.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" RESET log_statement')
        connection.close()
    marker = f"@{name} "
    lines = [line for line in text.splitlines() if marker in line and "statement: " in line]
    statements = [_shorten(line.split("statement: ", 1)[1]) for line in lines]
    return {"count": len(statements), "statements": statements}


def time_split(call: Any, expected: int, requests: int, connection: Any) -> dict[str, Any]:
    spent = {"sql_s": 0.0, "sql_calls": 0}

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["sql_s"] += time.perf_counter() - started
            spent["sql_calls"] += 1

    cpu0 = time.process_time()
    started = time.perf_counter()
    with connection.execute_wrapper(timer):
        for _ in range(requests):
            assert call().status_code == expected
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    ms = 1000 / requests
    return {
        "requests": requests,
        "wall_ms_per_request": round(wall * ms, 3),
        "sql_ms_per_request": round(spent["sql_s"] * ms, 3),
        "python_ms_per_request": round((wall - spent["sql_s"]) * ms, 3),
        "process_cpu_ms_per_request": round(cpu * ms, 3),
        "sql_calls_per_request": round(spent["sql_calls"] / requests, 2),
        "sequential_requests_per_s": round(requests / wall, 1),
    }


def profile(call: Any, requests: int) -> dict[str, str]:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        call()
    profiler.disable()
    out = {}
    for key in ("cumulative", "tottime"):
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer)
        stats.strip_dirs().sort_stats(key).print_stats(25)
        out[key] = _trim_profile(buffer.getvalue())
    return out


def _trim_profile(text: str) -> str:
    lines = text.strip().splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("ncalls")), 0)
    return "\n".join(lines[max(0, start - 3) :])


def _shorten(sql: str) -> str:
    sql = re.sub(r"\s+", " ", sql.strip())
    select = re.match(r"SELECT (.{60,}?) FROM (.*)", sql)
    if select:
        sql = f"SELECT … FROM {select.group(2)}"
    return sql if len(sql) <= 220 else sql[:217] + "…"


def print_section(name: str, section: dict[str, Any]) -> None:
    print(f"\n=== {name}: {section['sql']['count']} SQL statements seen by Django ===")
    for statement in section["sql"]["statements"]:
        print("  " + statement)
    if "server_statements" in section:
        server = section["server_statements"]
        print(f"--- what PostgreSQL received: {server.get('count', '?')} statements ---")
        for statement in server.get("statements", [server.get("error", "")]):
            print("  " + statement)
    timing = section["timing"]
    print(
        f"--- {timing['requests']} sequential requests in-process: {timing['wall_ms_per_request']} ms each "
        f"= {timing['sql_ms_per_request']} ms in SQL calls ({timing['sql_calls_per_request']} calls) "
        f"+ {timing['python_ms_per_request']} ms Python; CPU {timing['process_cpu_ms_per_request']} ms; "
        f"{timing['sequential_requests_per_s']} req/s on one core ---"
    )
    print(section["profile"]["cumulative"])
    print(section["profile"]["tottime"])


if __name__ == "__main__":
    sys.exit(main())
