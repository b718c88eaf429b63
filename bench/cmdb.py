#!/usr/bin/env python3
"""CMDB benchmark: CSV import of 100k CIs and 300k relationships, then upstream impact of a hot CI.

    .venv/bin/python bench/cmdb.py --db both            # SQLite and PostgreSQL, ~5 min on 2 cores
    .venv/bin/python bench/cmdb.py --db sqlite --cis 20000 --queries 20   # a quick look

For each database: a fresh one (a SQLite file under the results folder, or PostgreSQL
``keel_bench_cmdb``), ``keel migrate``, then generated CSV files imported with ``keel cmdb import``
as child processes, timing each and reading its peak RSS (``ru_maxrss`` from ``wait4``). The CIs are
imported twice more: the same file again (idempotence: nothing changes) and a file a fifth the size
(memory must not grow with the file: compare the peaks). Then, in a child process on that database,
the upstream impact of ``san-hot-01`` (about 1,000 transitive dependents) is measured ``--queries``
times after 3 warm-ups: the recursive CTE alone (``impact.reach``) and the whole API call
``GET /api/v1/cis/san-hot-01/impact?direction=up&depth=10`` through Django's test client.
Medians and p95 (nearest rank). Everything is bounded; nothing leaves 127.0.0.1.

The graph: 1,000 clusters of 100 CIs (an application stack each). In a cluster, CI k depends on
(or runs on, is hosted on, connects to) 3 CIs below it, so every CI of a cluster reaches its CI 0;
CI 0 depends on CI 99 (a cycle per cluster) and six ``part_of`` edges per cluster (~300k in all). The CI 0 of ten
clusters depends on ``san-hot-01``: its upstream impact is those ten clusters, ~1,000 CIs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
KEEL = [PYTHON, "-m", "keel.cli"]
PG_ADMIN = os.environ.get("KEEL_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "keel_bench_cmdb"
CLUSTER = 100
HOT = "san-hot-01"
HOT_CLUSTERS = 10
PARTS = 6  # part_of edges per cluster: with the rest, 301 relationships per cluster of 100 CIs
KINDS = ("depends_on", "runs_on", "hosted_on", "connects_to")
TYPES = ("server", "application", "database", "virtual-machine")


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# --- the generated CMDB ------------------------------------------------------------------------


def ci_name(cluster: int, index: int) -> str:
    return f"ci-{cluster:04d}-{index:02d}"


def write_cis(path: Path, count: int, *, prefix: str = "") -> None:
    """``count`` CIs: the hot SAN first, then clusters of 100 (names prefixed for the small-file run)."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["name", "type", "criticality", "location", "aliases", "attributes"])
        if not prefix:
            writer.writerow([HOT, "storage", 1, "AMS1", "san-hot;san-hot.example.com", '{"vendor": "NetApp"}'])
        for number in range(count - (0 if prefix else 1)):
            cluster, index = divmod(number, CLUSTER)
            name = prefix + ci_name(cluster, index)
            writer.writerow([name, TYPES[index % len(TYPES)], 1 + index % 5, f"AMS{1 + cluster % 3}", "", ""])


def write_relationships(path: Path, count: int, *, seed: int = 7) -> int:
    rng = random.Random(seed)
    clusters = (count - 1) // CLUSTER
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["source", "kind", "target"])
        for cluster in range(clusters):
            for index in range(1, CLUSTER):
                for below in rng.sample(range(index), min(3, index)):
                    writer.writerow([ci_name(cluster, index), rng.choice(KINDS), ci_name(cluster, below)])
                    rows += 1
            writer.writerow([ci_name(cluster, 0), "depends_on", ci_name(cluster, CLUSTER - 1)])
            for part in range(CLUSTER - 2, CLUSTER - 2 - 2 * PARTS, -2):
                writer.writerow([ci_name(cluster, part), "part_of", ci_name(cluster, part - 1)])
            rows += 1 + PARTS
        for cluster in range(min(HOT_CLUSTERS, clusters)):
            writer.writerow([ci_name(cluster, 0), "depends_on", HOT])
            rows += 1
    return rows


# --- databases and child processes --------------------------------------------------------------


def fresh_database(kind: str, out: Path) -> dict[str, str]:
    var = out / "var"
    var.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        path = out / "cmdb.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        import psycopg

        with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_NAME}"')
        url = f"{PG_ADMIN}/{PG_NAME}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEL_", "DATABASE_URL"))}
    env.update(DATABASE_URL=url, KEEL_VAR_DIR=str(var), KEEL_LOG_LEVEL="WARNING", PYTHONWARNINGS="ignore")
    timed([*KEEL, "migrate", "-v", "0"], env)
    return env


def discard(kind: str, out: Path) -> None:
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{out / 'cmdb.sqlite3'}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_ADMIN}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


def timed(command: list[str], env: dict[str, str], *, timeout: float = 1800) -> dict[str, Any]:
    """Run a child to completion: its wall time, peak RSS (MiB) and output."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        raise
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])} failed ({child.returncode}):\n{stdout}\n{stderr}")
    return {"seconds": round(seconds, 2), "stdout": stdout.strip()}


def timed_with_rss(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Like timed, but via fork/exec + wait4 so the child's own peak RSS is known."""
    started = time.perf_counter()
    out_path = Path(env["KEEL_VAR_DIR"]) / "child.out"
    with out_path.open("w") as sink:
        child = subprocess.Popen(command, env=env, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    output = out_path.read_text().strip()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])} failed ({child.returncode}):\n{output}")
    return {"seconds": round(seconds, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "stdout": output}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


# --- the impact measurement (runs in a child, with Django set up on the bench database) ----------


def measure_impact(queries: int, depth: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.config.settings")
    import django

    django.setup()
    from django.test import Client

    from keel.accounts.actions import create_user, issue_api_token
    from keel.accounts.roles import Role
    from keel.cmdb.impact import Direction, reach
    from keel.cmdb.queries import ci_by_reference

    hot = ci_by_reference(HOT)
    user = create_user(username="benchreader", role=Role.AGENT)
    client = Client(headers={"Authorization": f"Bearer {issue_api_token(user).raw}"})
    url = f"/api/v1/cis/{HOT}/impact?direction=up&depth={depth}"
    cte, api = [], []
    for round_number in range(queries + 3):
        started = time.perf_counter()
        found = reach(hot.pk, direction=Direction.UP, depth=depth)
        middle = time.perf_counter()
        answer = client.get(url)
        ended = time.perf_counter()
        assert answer.status_code == 200, answer.content
        if round_number >= 3:
            cte.append((middle - started) * 1000)
            api.append((ended - middle) * 1000)
    document = answer.json()
    return {
        "dependents": len(found) - 1,
        "api_cis": len(document["cis"]),
        "deepest": max(item["distance"] for item in document["cis"]),
        "in_cycle": document["in_cycle"],
        "cte_ms": {"p50": round(statistics.median(cte), 1), "p95": round(percentile(cte, 0.95), 1)},
        "api_ms": {"p50": round(statistics.median(api), 1), "p95": round(percentile(api, 0.95), 1)},
    }


# --- one database, end to end ---------------------------------------------------------------


def run_database(kind: str, options: argparse.Namespace) -> dict[str, Any]:
    out: Path = options.out
    log(f"{kind}: fresh database, migrate")
    env = fresh_database(kind, out)
    cis_file, small_file, relationships_file = out / "cis.csv", out / "cis-small.csv", out / "relationships.csv"
    write_cis(cis_file, options.cis)
    write_cis(small_file, options.cis // 5, prefix="small-")
    relationships = write_relationships(relationships_file, options.cis)
    result: dict[str, Any] = {
        "db": kind,
        "cis": options.cis,
        "relationships": relationships,
        "load_start": load_average(),
    }
    try:
        log(f"{kind}: import {options.cis:,} CIs")
        result["import_cis"] = timed_with_rss([*KEEL, "cmdb", "import", "cis", str(cis_file)], env)
        log(f"  {result['import_cis']}")
        result["reimport_cis"] = timed_with_rss([*KEEL, "cmdb", "import", "cis", str(cis_file)], env)
        log(f"  again: {result['reimport_cis']}")
        result["import_small_cis"] = timed_with_rss([*KEEL, "cmdb", "import", "cis", str(small_file)], env)
        log(f"  a fifth the size: {result['import_small_cis']}")
        log(f"{kind}: import {relationships:,} relationships")
        result["import_relationships"] = timed_with_rss(
            [*KEEL, "cmdb", "import", "relationships", str(relationships_file)], env
        )
        log(f"  {result['import_relationships']}")
        log(f"{kind}: upstream impact of {HOT}, {options.queries} queries")
        measured = timed(
            [
                PYTHON,
                str(Path(__file__)),
                "--measure-impact",
                "--queries",
                str(options.queries),
                "--depth",
                str(options.depth),
            ],
            env,
        )
        result["impact"] = json.loads(measured["stdout"].splitlines()[-1])
        log(f"  {result['impact']}")
    finally:
        result["load_end"] = load_average()
        if not options.keep:
            discard(kind, out)
    return result


def summary(results: list[dict[str, Any]]) -> str:
    lines = [
        "| DB | CIs | Relationships | Import CIs s (peak RSS MiB) | Re-import s | 1/5 file: s (peak RSS MiB) | "
        "Import relationships s (peak RSS MiB) | Dependents | CTE p50/p95 ms | API p50/p95 ms | Load avg start → end |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results:
        impact = row["impact"]
        lines.append(
            f"| {row['db']} | {row['cis']:,} | {row['relationships']:,} "
            f"| {row['import_cis']['seconds']} ({row['import_cis']['peak_rss_mib']}) "
            f"| {row['reimport_cis']['seconds']} "
            f"| {row['import_small_cis']['seconds']} ({row['import_small_cis']['peak_rss_mib']}) "
            f"| {row['import_relationships']['seconds']} ({row['import_relationships']['peak_rss_mib']}) "
            f"| {impact['dependents']:,} | {impact['cte_ms']['p50']} / {impact['cte_ms']['p95']} "
            f"| {impact['api_ms']['p50']} / {impact['api_ms']['p95']} | {row['load_start']} → {row['load_end']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--cis", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--measure-impact", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    options.queries = max(1, min(options.queries, 1000))
    if options.measure_impact:
        print(json.dumps(measure_impact(options.queries, options.depth)))
        return 0
    options.out = options.out or BENCH / "results" / f"{datetime.now(UTC):%Y%m%d-%H%M%S}-cmdb"
    options.out.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgres"] if options.db == "both" else [options.db]
    results = [run_database(kind, options) for kind in kinds]
    table = summary(results)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout
    (options.out / "results.json").write_text(json.dumps(results, indent=2))
    (options.out / "summary.md").write_text(f"# CMDB bench ({commit.strip()}, {os.cpu_count()} CPUs)\n\n{table}\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
