#!/usr/bin/env python3
"""Who is on call, for 1,000 schedules at once and for one team (issue 14's target: < 50 ms for
1,000 schedules).

    .venv/bin/python bench/oncall.py                      # a fresh SQLite database in a temp dir
    .venv/bin/python bench/oncall.py --database-url postgres://postgres@127.0.0.1:5432/oncall_bench

The database is migrated and **flushed** first (give one that holds nothing you need). Then, through
Keel's own actions: 1,000 teams with one schedule each in one of four zones, each with two layers (a
weekly rotation of four people and a daily office-hours layer of three with Mon–Fri restrictions
above it) and every tenth with an override running now. Measured, each the median of ``--runs``:

1. ``on_call_by_schedule``: who is on call for all 1,000 schedules at one instant — the version
   stamp read (one primary-key SELECT) and the maths over the schedules held in memory. Each run
   asks about a different instant 13 h apart, so no layer answers from its last shift.
2. The same at one instant asked again (the last shift of each layer remembered).
3. ``on_call(team)``: one team's people on call (as the "on call" strategy asks).
4. The first answer after a change: the schedules read again from the database (cold).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keel.accounts.models import Team

SRC = Path(__file__).resolve().parent.parent / "src"
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    if not 1 <= args.schedules <= 10_000 or not 1 <= args.runs <= 1000:
        parser.error("--schedules 1..10,000 and --runs 1..1,000")
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ["KEEL_VAR_DIR"] = tempfile.mkdtemp(prefix="keel-oncall-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.config.settings")
    sys.path.append(str(SRC))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from keel.oncall.queries import on_call, on_call_by_schedule, roster

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    now, teams = _seed(args.schedules)

    cold_started = time.perf_counter()
    roster()
    cold = (time.perf_counter() - cold_started) * 1000

    def median_ms(answer, instants) -> float:
        times = []
        for instant in instants:
            before = time.perf_counter()
            answer(instant)
            times.append((time.perf_counter() - before) * 1000)
        return statistics.median(times)

    spread = [now + timedelta(hours=13 * i) for i in range(args.runs)]
    all_spread = median_ms(on_call_by_schedule, spread)
    all_same = median_ms(on_call_by_schedule, [now] * args.runs)
    one_team = median_ms(lambda at: on_call(teams[len(teams) // 2].pk, at), spread)
    found = on_call_by_schedule(now)
    print(f"database: {connection.vendor}; people on call now: {sum(p is not None for p in found.values())}")
    print(f"who is on call, {args.schedules} schedules, a new instant each run: median {all_spread:.1f} ms")
    print(f"who is on call, {args.schedules} schedules, the same instant again:  median {all_same:.1f} ms")
    print(f"who is on call, one team:                                     median {one_team:.3f} ms")
    print(f"first answer after a change (schedules read again):           {cold:.0f} ms")
    return 0


def _seed(count: int) -> tuple[datetime, list[Team]]:
    """The schedules, through the actions (after django.setup(): the apps must be loaded)."""
    from keel.accounts.actions import create_team, create_user
    from keel.accounts.roles import Role
    from keel.lib import clock
    from keel.oncall.actions import create_layer, create_override, create_schedule

    started = time.perf_counter()
    people = [create_user(username=f"oncall{n}", role=Role.RESOLVER) for n in range(40)]
    now = clock.now()
    office = [{"weekday": day, "opens": "09:00", "closes": "17:00"} for day in ("mon", "tue", "wed", "thu", "fri")]
    teams = []
    for n in range(count):
        team = create_team(actor=None, slug=f"bench-{n}", name=f"Bench {n}")
        teams.append(team)
        schedule = create_schedule(
            actor=None, fields={"team": team, "name": f"Bench {n}", "time_zone": ZONES[n % len(ZONES)]}
        )
        crew = [people[(n + k) % len(people)].pk for k in range(7)]
        start = (now - timedelta(days=30 + n % 60)).date()
        create_layer(
            actor=None,
            fields={
                "schedule": schedule,
                "name": "Weekly",
                "handoff_time": "10:00",
                "start_date": start,
                "members": crew[:4],
            },
        )
        create_layer(
            actor=None,
            fields={
                "schedule": schedule,
                "name": "Office",
                "position": 2,
                "rotation": "daily",
                "handoff_time": "09:00",
                "start_date": start,
                "members": crew[4:],
                "restrictions": office,
            },
        )
        if n % 10 == 0:
            create_override(
                actor=None,
                fields={
                    "schedule": schedule,
                    "person": people[n % len(people)],
                    "starts_at": now - timedelta(hours=2),
                    "ends_at": now + timedelta(hours=6),
                },
            )
    print(f"seeded {count} schedules ({2 * count} layers) in {time.perf_counter() - started:.1f} s")
    return now, teams


if __name__ == "__main__":
    raise SystemExit(main())
