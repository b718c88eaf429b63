#!/usr/bin/env python3
"""SLA engine speed: one sweep over 100k open incidents with running clocks, and the clock maths
of one incident with 50 pauses (issue 4's targets: < 1 s and < 1 ms).

    .venv/bin/python bench/sla_sweep.py --database-url postgres://postgres@127.0.0.1:5432/sla
    .venv/bin/python bench/sla_sweep.py --database-url postgres://... --incidents 100000 --sweeps 5

The database is migrated and **flushed** first (give one that holds nothing you need). Then:

1. Seed: N open incidents (bulk INSERT) with a response and a resolution clock each, on a 24×7
   calendar (8 h resolution, 1 h response, warnings at 50/75/90 %), started at random in the 8 hours
   before the seed instant S. Each clock's events (attached, plus the warnings already past at S)
   and its cache (due_at, next_at, …) come from Keel's own replay, so the rows are what the live
   system would hold right after a sweep at S.
2. EXPLAIN of the sweep's selection on PostgreSQL: it must be an index range scan on
   ``sla_clock_next_at``, never a scan of the clocks.
3. ``--sweeps`` consecutive sweeps at S + 30 s, S + 60 s, … (the scheduler's cadence): each fires
   the warnings and breaches that fell due in its 30 s, with their events published and handled
   (timeline entries), exactly as in production. Median wall time and clocks touched.
4. An empty sweep (nothing due): the cost of the tick when there is no work.
5. Clock maths: replay of a clock with 50 pauses over five weeks of London office hours, median of
   2,000 runs after a warm-up (the calendar's day spans cached, as in a running process).
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

SRC = Path(__file__).resolve().parent.parent / "src"
HOUR = 3600


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="default: $DATABASE_URL")
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--sweeps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url (it is flushed first)")
    if not 1 <= args.incidents <= 1_000_000 or not 1 <= args.sweeps <= 50:
        parser.error("--incidents 1..1,000,000 and --sweeps 1..50")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.config.settings")
    sys.path.append(str(SRC))  # when keel is not installed; PYTHONPATH (another commit's src/) comes first
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    print(f"load average at start: {os.getloadavg()}")
    seed_instant = datetime(2026, 6, 1, 12, tzinfo=UTC)
    started = time.perf_counter()
    seed(args.incidents, seed_instant, random.Random(args.seed))
    print(
        f"seeded {args.incidents:,} open incidents with 2 running clocks each in {time.perf_counter() - started:.1f} s"
    )
    explain(seed_instant + timedelta(seconds=30))
    sweeps(seed_instant, args.sweeps)
    clock_maths()
    print(f"load average at end: {os.getloadavg()}")
    return 0


def seed(count: int, at: datetime, rng: random.Random) -> None:
    from django.db import connection, transaction

    from keel.accounts.actions import create_user
    from keel.accounts.roles import Role
    from keel.incidents.models import Incident
    from keel.sla import business_time as clock
    from keel.sla.actions.setup import create_calendar, create_policy
    from keel.sla.calendars import spec_of_version
    from keel.sla.models import CalendarVersion, Clock, ClockEvent
    from keel.sla.replay import Event, Kind, replay

    caller = create_user(username="bench-caller", role=Role.REQUESTER, password=None, name="Bench caller")
    calendar = create_calendar(
        actor=None,
        fields={
            "name": "24×7",
            "zone": "UTC",
            "windows": [
                {"weekday": d, "opens": "00:00", "closes": "00:00"}
                for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            ],
        },
    )
    policy = create_policy(
        actor=None,
        fields={"name": "Bench", "calendar": calendar, "response_target_s": HOUR, "resolution_target_s": 8 * HOUR},
    )
    version = CalendarVersion.objects.get(calendar=calendar, number=1)
    schedule = [(0, spec_of_version(version.pk))]
    now = clock.instant_of(at)
    batch = 5_000
    for first in range(0, count, batch):
        size = min(batch, count - first)
        opened = [at - timedelta(seconds=rng.randrange(8 * HOUR)) for _ in range(size)]
        with transaction.atomic():
            incidents = Incident.objects.bulk_create(
                Incident(
                    title=f"Bench incident {first + n}",
                    caller=caller,
                    opened_by=caller,
                    state="in_progress",
                    priority=3,
                    opened_at=when,
                    updated_at=when,
                )
                for n, when in enumerate(opened)
            )
            rows: list[Clock] = []
            events: list[list[ClockEvent]] = []
            for incident in incidents:
                for name, target in (("response", HOUR), ("resolution", 8 * HOUR)):
                    start = clock.instant_of(incident.opened_at)
                    pure = [Event(Kind.ATTACHED, start, target=target)]
                    instants = clock.dues(schedule, start, [target * p // 100 for p in (50, 75, 90)] + [target])
                    pure += [
                        Event(Kind.THRESHOLD, i, percent=p)
                        for p, i in zip((50, 75, 90), instants, strict=False)
                        if i <= now
                    ]
                    if instants[-1] < now:
                        pure.append(Event(Kind.BREACHED, instants[-1]))
                    reading = replay(schedule, pure, (50, 75, 90), now)
                    rows.append(
                        Clock(
                            incident_id=incident.pk,
                            name=name,
                            policy=policy,
                            policy_name=policy.name,
                            calendar=calendar,
                            calendar_version=version,
                            target_s=target,
                            thresholds=[50, 75, 90],
                            started_at=incident.opened_at,
                            state=reading.state,
                            due_at=clock.datetime_of(reading.due) if reading.due else None,
                            next_at=clock.datetime_of(reading.next_at) if reading.next_at else None,
                            elapsed_s=reading.elapsed,
                            elapsed_at=at,
                            breached_at=clock.datetime_of(reading.breached_at) if reading.breached_at else None,
                        )
                    )
                    events.append(
                        [
                            ClockEvent(
                                kind=e.kind,
                                at=clock.datetime_of(e.at),
                                recorded_at=at,
                                target_s=e.target,
                                percent=e.percent,
                                calendar_version=version if e.kind == Kind.ATTACHED else None,
                                data={"sent": True} if e.kind == Kind.THRESHOLD else {},
                            )
                            for e in pure
                        ]
                    )
            Clock.objects.bulk_create(rows)
            for row, row_events in zip(rows, events, strict=True):
                for event in row_events:
                    event.clock = row
            ClockEvent.objects.bulk_create(event for row_events in events for event in row_events)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE sla_clock")
            cursor.execute("VACUUM ANALYZE sla_clockevent")


def explain(now: datetime) -> None:
    from django.db import connection

    from keel.sla.models import Clock

    query = Clock.objects.filter(next_at__lte=now).order_by("next_at").values_list("pk", flat=True)[:500]
    if connection.vendor != "postgresql":
        print("EXPLAIN: skipped (not PostgreSQL)")
        return
    print("EXPLAIN of the sweep's selection:")
    print("    " + query.explain(analyze=True).replace("\n", "\n    "))


def sweeps(seed_instant: datetime, count: int) -> None:
    from keel.sla.actions.sweep import sweep

    times, touched = [], []
    for n in range(1, count + 1):
        started = time.perf_counter()
        touched.append(sweep(now=seed_instant + timedelta(seconds=30 * n)))
        times.append(time.perf_counter() - started)
    print(
        f"sweep every 30 s: median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms; clocks touched per sweep {touched} "
        f"(runs: {', '.join(f'{t * 1000:.0f}' for t in times)} ms)"
    )
    started = time.perf_counter()
    idle = sweep(now=seed_instant + timedelta(seconds=30 * count))
    print(f"empty sweep (nothing due): {(time.perf_counter() - started) * 1000:.1f} ms, {idle} clocks touched")


def clock_maths() -> None:
    from zoneinfo import ZoneInfo

    import holidays

    from keel.sla.business_time import CalendarSpec, Window, to_instant
    from keel.sla.replay import Event, Kind, replay

    london = ZoneInfo("Europe/London")
    spec = CalendarSpec(
        "Europe/London",
        tuple(Window(day, 9 * 60, 17 * 60) for day in range(5)),
        tuple(sorted(holidays.country_holidays("GB", subdiv="ENG", years=range(2025, 2027)).items())),
    )
    schedule = [(0, spec)]
    start = to_instant(datetime(2025, 6, 2, 9), london)
    events = [Event(Kind.ATTACHED, start, target=80 * HOUR)]
    for n in range(50):
        paused = start + n * 17 * HOUR
        events += [Event(Kind.PAUSED, paused), Event(Kind.RESUMED, paused + 2 * HOUR)]
    now = start + 50 * 17 * HOUR + HOUR
    replay(schedule, events, (50, 75, 90), now)  # warm the day cache, as a running process has it
    runs = []
    for _ in range(2_000):
        started = time.perf_counter()
        reading = replay(schedule, events, (50, 75, 90), now)
        runs.append(time.perf_counter() - started)
    cold = CalendarSpec(spec.zone, spec.windows, spec.holidays)
    started = time.perf_counter()
    replay([(0, cold)], events, (50, 75, 90), now)
    first = time.perf_counter() - started
    due = datetime.fromtimestamp(reading.due or 0, UTC)
    print(
        f"clock with 50 pauses (elapsed {reading.elapsed} s, due {due:%Y-%m-%d %H:%M}Z): "
        f"median {statistics.median(runs) * 1e6:.0f} µs, p95 {sorted(runs)[int(len(runs) * 0.95)] * 1e6:.0f} µs "
        f"over {len(runs)} replays; first replay on a fresh calendar version {first * 1e6:.0f} µs"
    )


if __name__ == "__main__":
    raise SystemExit(main())
