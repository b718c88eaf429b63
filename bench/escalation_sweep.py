#!/usr/bin/env python3
"""Escalation sweep speed: the sweep over 100k open incidents with policies (issue 14's target: < 1 s).

    .venv/bin/python bench/escalation_sweep.py --database-url postgres://postgres@127.0.0.1:5432/escalation

The database is migrated and **flushed** first (give one that holds nothing you need). Then:

1. Seed: N open incidents with running SLA clocks, as ``sla_sweep.py`` seeds them (24×7, warnings
   at 50/75/90 %, started in the 8 hours before S), a tenth of them P1/P2 and untaken, the rest in
   a group's hands; each group has a manager.
2. Two policies, as the demo's: P1/P2 page the on-call person at once, the secondary and manager if
   unacknowledged after 5 min, managers at the breach; the others tell the group manager at 75 %
   of the resolution target and the managers at the breach.
3. The first sweep at S fires everything the seed already reached (a burst no running system sees
   at once: it fires each step as it falls due), then the tables it grew are analyzed, as
   autovacuum would. Then ``--sweeps`` sweeps every 30 s, each firing what fell due since; median
   and max wall time. Then a sweep with nothing due.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SRC = BENCH.parent / "src"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="default: $DATABASE_URL")
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--sweeps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url (it is flushed first)")
    if not 1 <= args.incidents <= 1_000_000 or not 1 <= args.sweeps <= 50:
        parser.error("--incidents 1..1,000,000 and --sweeps 1..50")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.config.settings")
    sys.path.append(str(SRC))
    sys.path.append(str(BENCH))
    import django

    django.setup()
    from django.core.management import call_command

    import sla_sweep

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    print(f"load average at start: {os.getloadavg()}")
    at = datetime(2026, 6, 1, 12, tzinfo=UTC)
    started = time.perf_counter()
    sla_sweep.seed(args.incidents, at, random.Random(args.seed))
    spread(random.Random(args.seed))
    print(f"seeded {args.incidents:,} open incidents in {time.perf_counter() - started:.1f} s")
    policies()
    sweeps(at, args.sweeps)
    print(f"load average at end: {os.getloadavg()}")
    return 0


def spread(rng: random.Random) -> None:
    """Groups with managers; a tenth of the incidents P1/P2 and untaken, the rest assigned."""
    from django.db import connection

    from keel.accounts.actions import add_team_member, create_user, ensure_team
    from keel.accounts.roles import Role
    from keel.incidents.models import Incident

    create_user(username="bench-lead", role=Role.INCIDENT_MANAGER, password=None, name="Bench lead")
    teams = []
    for n in range(10):
        boss = create_user(username=f"bench-boss-{n}", role=Role.RESOLVER, password=None, name=f"Boss {n}")
        manager = create_user(username=f"bench-manager-{n}", role=Role.RESOLVER, password=None, manager=boss)
        member = create_user(username=f"bench-member-{n}", role=Role.RESOLVER, password=None)
        team = ensure_team(slug=f"bench-{n}", name=f"Bench {n}", manager=manager)
        add_team_member(team, member)
        teams.append((team, member))
    ids = list(Incident.objects.order_by("pk").values_list("pk", flat=True))
    for n, (team, member) in enumerate(teams):
        mine = ids[n::10]
        urgent = mine[: len(mine) // 10]
        Incident.objects.filter(pk__in=urgent).update(
            assignment_group=team, priority=rng.choice((1, 2)), state="assigned"
        )
        Incident.objects.filter(pk__in=mine[len(mine) // 10 :]).update(assignment_group=team, assignee=member)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE incidents_incident")


def policies() -> None:
    from keel.escalation.actions import create_policy

    breach = {"when": "sla", "clock": "resolution", "percent": 100, "notify": ["managers_manager", "incident_managers"]}
    create_policy(
        actor=None,
        fields={
            "name": "P1 and P2",
            "position": 10,
            "priorities": [1, 2],
            "steps": [
                {"when": "no_response", "minutes": 0, "notify": ["on_call", "group_manager"], "page": True},
                {
                    "when": "unacknowledged",
                    "minutes": 5,
                    "notify": ["on_call_secondary", "group_manager"],
                    "page": True,
                },
                breach,
            ],
        },
    )
    create_policy(
        actor=None,
        fields={
            "name": "Others",
            "position": 100,
            "steps": [{"when": "sla", "clock": "resolution", "percent": 75, "notify": ["group_manager"]}, breach],
        },
    )


def sweeps(at: datetime, count: int) -> None:
    from keel.incidents.actions.escalation import sweep_escalations
    from keel.lib.statistics import analyze_stale_tables

    started = time.perf_counter()
    burst = sweep_escalations(now=at, max_batches=1000)
    print(f"first sweep (the seed's backlog): {burst:,} steps fired in {time.perf_counter() - started:.1f} s")
    # What autovacuum (or Keel's db.analyze_stale_tables job) does within a minute of such a burst.
    print(f"analyzed after the burst: {', '.join(analyze_stale_tables(even_with_autovacuum=True))}")
    times, fired = [], []
    for n in range(1, count + 1):
        started = time.perf_counter()
        fired.append(sweep_escalations(now=at + timedelta(seconds=30 * n)))
        times.append(time.perf_counter() - started)
    print(
        f"sweep every 30 s: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms; "
        f"steps fired per sweep {fired} (runs: {', '.join(f'{t * 1000:.0f}' for t in times)} ms)"
    )
    started = time.perf_counter()
    idle = sweep_escalations(now=at + timedelta(seconds=30 * count))
    print(f"sweep with nothing due: {(time.perf_counter() - started) * 1000:.0f} ms, {idle} fired")


if __name__ == "__main__":
    raise SystemExit(main())
