#!/usr/bin/env python3
"""Bulk-load N realistic incidents straight into a migrated Keel database, for the list benchmarks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/keel_bench .venv/bin/python bench/seed.py --count 1000000
    .venv/bin/python bench/seed.py --database-url sqlite:///bench/results/x/keel.sqlite3 --count 100000

What it does, in order:

1. Reference data through Keel's own code (Django ORM, actions where they exist): 12 assignment
   groups (``ensure_team``), ~100 agents/resolvers (``create_user``) who are members of their team,
   a skewed population of requesters (``User.objects.bulk_create``: ``max(2000, N/50)``, at most
   20,000), 9 categories with subcategories, 15 business services and 200 configuration items.
2. N incidents generated in Python from a fixed random seed, so SQLite and PostgreSQL get the same
   rows: opened_at over the last 2 years (business hours and weekdays weighted, ids in time order),
   priority from the ITIL impact × urgency matrix (P1 1.5 %, P2 7 %, P3 25 %, P4 38 %, P5 28.5 %),
   a lifecycle simulated per incident (time to resolve by priority, caller confirmation or the 7-day
   auto-close, 3 % cancelled, 0.3 % forgotten in the backlog), so old incidents are closed and the
   last weeks hold the open ones; assignment group by weight (service desk 30 %…), assignee drawn
   from that group's members, callers Zipf-like (a few call a lot). Every CHECK constraint holds:
   resolved_at iff resolved/closed, closed_at iff closed, hold_reason iff on_hold, resolution_code
   set when resolved/closed.
3. Load: the table's secondary indexes are dropped, the rows go in (PostgreSQL: ``COPY`` in one
   transaction with foreign-key triggers off, the indexes recreated inside it, then VACUUM ANALYZE;
   SQLite: executemany in 100k-row transactions, the indexes recreated from their saved definitions,
   then ANALYZE).

No timeline, audit or watcher rows are written: the list endpoint does not read them.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

SRC = Path(__file__).resolve().parent.parent / "src"

TEAMS: Sequence[tuple[str, str, float, int]] = (
    # slug, name, share of incidents, members
    ("service-desk", "Service Desk", 0.30, 20),
    ("end-user-computing", "End-User Computing", 0.14, 12),
    ("network", "Network", 0.10, 10),
    ("identity-access", "Identity & Access", 0.08, 6),
    ("email-collaboration", "E-mail & Collaboration", 0.07, 6),
    ("windows-servers", "Windows Servers", 0.06, 8),
    ("linux-servers", "Linux Servers", 0.06, 8),
    ("database", "Database Administration", 0.05, 6),
    ("erp-applications", "ERP Applications", 0.05, 8),
    ("crm-applications", "CRM Applications", 0.04, 6),
    ("security", "Security Operations", 0.03, 6),
    ("storage-backup", "Storage & Backup", 0.02, 4),
)

CATEGORIES: Sequence[tuple[str, Sequence[str]]] = (
    ("Hardware", ("Laptop", "Desktop", "Printer", "Monitor")),
    ("Software", ("Office suite", "Browser", "Line-of-business app", "Installation")),
    ("Network", ("VPN", "Wi-Fi", "LAN", "Firewall")),
    ("Access", ("Password reset", "Account locked", "Permissions")),
    ("E-mail", ("Mailbox", "Calendar", "Distribution list")),
    ("Server", ("Performance", "Disk space", "Outage")),
    ("Database", ("Performance", "Connectivity", "Backup")),
    ("Telephony", ("Desk phone", "Mobile", "Softphone")),
    ("Security", ("Phishing", "Malware", "Data leak")),
)

SERVICES = (
    "E-mail",
    "VPN",
    "ERP",
    "CRM",
    "Intranet",
    "File shares",
    "Printing",
    "Telephony",
    "Wi-Fi",
    "Payroll",
    "Web shop",
    "Data warehouse",
    "Identity",
    "Backup",
    "Video conferencing",
)

TITLES = (
    "Cannot connect to VPN",
    "Outlook does not sync",
    "Laptop will not boot",
    "Printer offline on floor {k}",
    "Password expired, cannot sign in",
    "Account locked after password change",
    "Wi-Fi drops every few minutes",
    "ERP invoice screen very slow",
    "CRM shows error 500 when saving a contact",
    "Shared drive not mapped",
    "Disk almost full on server srv-{k:03d}",
    "Database connection pool exhausted on db-{k:02d}",
    "Teams calls have no audio",
    "Monitor flickers",
    "Cannot open attachment",
    "Phishing e-mail reported",
    "Payroll export fails",
    "Web shop checkout times out",
    "Calendar invitations not received",
    "New starter has no access to HR system",
    "Backup job failed on srv-{k:03d}",
    "High CPU on app-{k:02d}",
    "Certificate expired on intranet",
    "Mobile phone cannot receive e-mail",
    "Keyboard not working",
    "Software installation request blocked",
    "Slow network in building {k}",
    "Desk phone has no dial tone",
    "Data warehouse nightly load late",
    "Cannot print to PDF",
    "Browser keeps crashing",
    "Permission denied on project folder",
    "Malware alert on workstation ws-{k:04d}",
)

DESCRIPTION = (
    "Reported by the caller. Steps tried so far: restarted the device and signed out and back in; "
    "the problem persists. Business impact as described by the caller; screenshots on request."
)

# (impact, urgency) → weight; priority from the ITIL default matrix.
IMPACT_URGENCY: Sequence[tuple[int, int, int, float]] = (
    (1, 1, 1, 1.5),
    (1, 2, 2, 3.5),
    (2, 1, 2, 3.5),
    (1, 3, 3, 5.0),
    (2, 2, 3, 15.0),
    (3, 1, 3, 5.0),
    (2, 3, 4, 19.0),
    (3, 2, 4, 19.0),
    (3, 3, 5, 28.5),
)
# Median hours to resolve, per priority (log-normal, sigma 1).
RESOLVE_MEDIAN_H = {1: 4.0, 2: 10.0, 3: 30.0, 4: 60.0, 5: 100.0}
CHANNELS = (("portal", 35), ("email", 25), ("phone", 20), ("monitoring", 10), ("chat", 5), ("api", 3), ("walk_in", 2))
RESOLUTION_CODES = (
    ("solved_permanently", 45),
    ("solved_workaround", 20),
    ("solved_remotely", 20),
    ("not_reproducible", 6),
    ("duplicate", 4),
    ("user_error", 4),
    ("closed_by_caller", 1),
)
HOLD_REASONS = (("awaiting_caller", 50), ("awaiting_vendor", 25), ("awaiting_change", 15), ("awaiting_problem", 10))
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 13, 10, 13, 15, 14, 11, 7, 4, 3, 2, 2, 1, 1)

COLUMNS = (
    "title",
    "description",
    "caller_id",
    "opened_by_id",
    "channel",
    "category_id",
    "subcategory_id",
    "service_id",
    "ci_id",
    "impact",
    "urgency",
    "priority",
    "state",
    "hold_reason",
    "assignment_group_id",
    "assignee_id",
    "resolution_code",
    "resolution_notes",
    "resolved_by_id",
    "parent_id",
    "reassignment_count",
    "reopen_count",
    "first_contact_resolution",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "updated_at",
    "version",
)


@dataclass
class References:
    team_ids: list[int]
    team_weights: list[float]
    members: dict[int, list[int]]
    service_desk_id: int
    caller_ids: list[int]
    categories: list[tuple[int, int]]  # (category, subcategory)
    service_ids: list[int]
    ci_ids: list[int]


class Weighted:
    """Fast repeated draws from a fixed discrete distribution."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        total = 0.0
        self.cumulative = []
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def draw(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


@dataclass
class Lifecycle:
    state: str
    group: int | None = None
    assignee: int | None = None
    hold_reason: str = ""
    resolution_code: str = ""
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    first_response_at: datetime | None = None
    reassignments: int = 0


class Generator:
    """Deterministic incident rows (COLUMNS order, aware UTC datetimes), oldest first."""

    def __init__(self, refs: References, *, seed: int, now: datetime) -> None:
        self.refs = refs
        self.rng = random.Random(seed)
        self.now = now
        self.span_days = 730
        self.start = now - timedelta(days=self.span_days)
        self.hours = Weighted(range(24), HOUR_WEIGHTS)
        self.pairs = Weighted([(i, u, p) for i, u, p, _ in IMPACT_URGENCY], [w for *_, w in IMPACT_URGENCY])
        self.teams = Weighted(refs.team_ids, refs.team_weights)
        self.channels = Weighted([c for c, _ in CHANNELS], [w for _, w in CHANNELS])
        self.codes = Weighted([c for c, _ in RESOLUTION_CODES], [w for _, w in RESOLUTION_CODES])
        self.holds = Weighted([c for c, _ in HOLD_REASONS], [w for _, w in HOLD_REASONS])
        self.desk = refs.members[refs.service_desk_id]

    def rows(self, count: int) -> Iterator[tuple[Any, ...]]:
        ceiling = (self.now - self.start).total_seconds() - 60
        for offset in self.offsets(count):
            yield self.row(self.start + timedelta(seconds=min(offset, ceiling)))

    def offsets(self, count: int) -> list[float]:
        """Seconds after ``start``: weekdays and business hours weighted, sorted so ids follow time."""
        rng = self.rng
        offsets = []
        while len(offsets) < count:
            day = rng.randrange(self.span_days)
            if (self.start + timedelta(days=day)).weekday() >= 5 and rng.random() > 0.25:
                continue  # a quarter of a weekday's volume at weekends
            offsets.append(day * 86400 + self.hours.draw(rng) * 3600 + rng.random() * 3600)
        offsets.sort()
        return offsets

    def row(self, opened_at: datetime) -> tuple[Any, ...]:
        rng, refs = self.rng, self.refs
        impact, urgency, priority = self.pairs.draw(rng)
        channel = self.channels.draw(rng)
        caller = refs.caller_ids[int(len(refs.caller_ids) * rng.random() ** 2.5)]
        opened_by = caller if channel == "portal" else self.desk[rng.randrange(len(self.desk))]
        category_id = subcategory_id = None
        if rng.random() < 0.85:
            category_id, subcategory_id = refs.categories[rng.randrange(len(refs.categories))]
        service_id = refs.service_ids[rng.randrange(len(refs.service_ids))] if rng.random() < 0.6 else None
        ci_id = refs.ci_ids[rng.randrange(len(refs.ci_ids))] if rng.random() < 0.3 else None
        title = TITLES[rng.randrange(len(TITLES))].format(k=rng.randrange(1, 200))
        life = self.lifecycle(opened_at, priority)
        done = life.state in {"resolved", "closed"}
        fcr = done and life.group == refs.service_desk_id and life.reassignments == 0 and rng.random() < 0.6
        updated_at = life.closed_at or life.resolved_at or life.first_response_at or opened_at
        version = 1 + (life.group is not None) + (life.state != "new") + 2 * done + life.reassignments
        return (
            title,
            DESCRIPTION,
            caller,
            opened_by,
            channel,
            category_id,
            subcategory_id,
            service_id,
            ci_id,
            impact,
            urgency,
            priority,
            life.state,
            life.hold_reason,
            life.group,
            life.assignee,
            life.resolution_code,
            "Fixed and verified with the caller." if done else "",
            life.assignee if done else None,
            None,
            life.reassignments,
            0,
            fcr,
            opened_at,
            life.first_response_at,
            life.resolved_at,
            life.closed_at,
            updated_at,
            version,
        )

    def lifecycle(self, opened_at: datetime, priority: int) -> Lifecycle:
        """Response, resolution, then the caller's confirmation or the 7-day auto-close, as of now."""
        rng, hour = self.rng, 3600.0
        age = (self.now - opened_at).total_seconds()
        respond_s = rng.expovariate(1 / (1800 * priority))
        resolve_s = max(respond_s + 60, RESOLVE_MEDIAN_H[priority] * hour * math.exp(rng.gauss(0, 1)))
        close_s = resolve_s + (rng.uniform(0.5 * hour, 72 * hour) if rng.random() < 0.4 else 7 * 24 * hour)
        fate = rng.random()
        reassignments = 0 if rng.random() < 0.8 else (1 if rng.random() < 0.75 else 2)
        responded = opened_at + timedelta(seconds=respond_s) if age >= respond_s else None
        if fate < 0.03:
            group = self.teams.draw(rng) if rng.random() < 0.5 else None
            return Lifecycle("cancelled", group=group, first_response_at=responded)
        if fate < 0.033 or age < resolve_s:  # still open (or forgotten in the backlog)
            if responded is None:
                return Lifecycle("new")
            state = ("assigned", "in_progress", "in_progress", "in_progress", "on_hold")[rng.randrange(5)]
            group = self.teams.draw(rng)
            assignee = self.member(group) if state != "assigned" or rng.random() < 0.5 else None
            hold = self.holds.draw(rng) if state == "on_hold" else ""
            return Lifecycle(state, group, assignee, hold, first_response_at=responded, reassignments=reassignments)
        group = self.teams.draw(rng)
        closed = age >= close_s
        return Lifecycle(
            "closed" if closed else "resolved",
            group,
            self.member(group),
            resolution_code=self.codes.draw(rng),
            resolved_at=opened_at + timedelta(seconds=resolve_s),
            closed_at=opened_at + timedelta(seconds=close_s) if closed else None,
            first_response_at=responded,
            reassignments=reassignments,
        )

    def member(self, team: int) -> int:
        members = self.refs.members[team]
        return members[self.rng.randrange(len(members))]


def create_references(count: int) -> References:
    """Teams, staff, requesters, categories, services and CIs, through Keel's ORM and actions."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from keel.accounts.actions import create_user, ensure_team
    from keel.accounts.models import Team, User
    from keel.accounts.roles import Role
    from keel.cmdb.models import CIType, ConfigurationItem, Service
    from keel.incidents.models import Category

    team_ids: list[int] = []
    members: dict[int, list[int]] = {}
    with transaction.atomic():
        for slug, name, _share, size in TEAMS:
            team = ensure_team(slug=slug, name=name)
            team_ids.append(team.pk)
            role = Role.AGENT if slug == "service-desk" else Role.RESOLVER
            staff = []
            for index in range(1, size + 1):
                username = f"{slug}-{index:02d}"
                user = User.objects.filter(username=username).first() or create_user(
                    username=username, role=role, name=f"{name} agent {index}"
                )
                staff.append(user)
            team.members.add(*staff)
            members[team.pk] = sorted(team.members.values_list("pk", flat=True))
        callers_wanted = min(20_000, max(2_000, count // 50))
        existing = set(User.objects.filter(username__startswith="req").values_list("username", flat=True))
        unusable = make_password(None)
        User.objects.bulk_create(
            [
                User(username=f"req{index:05d}", name=f"Requester {index}", role=Role.REQUESTER, password=unusable)
                for index in range(callers_wanted)
                if f"req{index:05d}" not in existing
            ],
            batch_size=2_000,
        )
        caller_ids = list(
            User.objects.filter(username__startswith="req").order_by("username").values_list("pk", flat=True)
        )[:callers_wanted]
        categories = []
        for name, children in CATEGORIES:
            parent, _ = Category.objects.get_or_create(name=name, parent=None)
            for child in children:
                sub, _ = Category.objects.get_or_create(name=child, parent=parent)
                categories.append((parent.pk, sub.pk))
        service_ids = [Service.objects.get_or_create(name=name)[0].pk for name in SERVICES]
        server = CIType.objects.get_or_create(slug="server", defaults={"name": "Server"})[0]
        ConfigurationItem.objects.bulk_create(
            [ConfigurationItem(name=f"ci-{i:04d}", ci_type=server) for i in range(200)], ignore_conflicts=True
        )
        ci_ids = list(ConfigurationItem.objects.order_by("pk").values_list("pk", flat=True))
        desk_id = Team.objects.get(slug="service-desk").pk
    return References(
        team_ids=team_ids,
        team_weights=[share for _, _, share, _ in TEAMS],
        members=members,
        service_desk_id=desk_id,
        caller_ids=caller_ids,
        categories=categories,
        service_ids=service_ids,
        ci_ids=ci_ids,
    )


def load_postgres(settings: dict[str, Any], rows: Iterator[tuple[Any, ...]]) -> int:
    import psycopg

    conn = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    loaded = 0
    with conn.transaction(), conn.cursor() as cur:  # one transaction: all or nothing, indexes included
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # Foreign-key triggers off for the load (the generator only uses ids it just read);
        # CHECK constraints stay on and validate every row.
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(
            """SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
               WHERE x.indrelid = 'incidents_incident'::regclass
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)"""
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        with cur.copy(f"COPY incidents_incident ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                loaded += 1
        started = time.monotonic()
        for _, definition in indexes:
            cur.execute(definition)
        print(f"  rebuilt {len(indexes)} indexes in {time.monotonic() - started:.1f} s", flush=True)
    conn.commit()
    conn.autocommit = True
    # VACUUM too, as autovacuum soon would on a live system: it sets the visibility map, without
    # which index-only scans (the capped counts) read the heap.
    conn.execute("VACUUM ANALYZE")
    conn.close()
    return loaded


def load_sqlite(settings: dict[str, Any], rows: Iterator[tuple[Any, ...]]) -> int:
    import sqlite3

    conn = sqlite3.connect(settings["NAME"], isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")  # 256 MiB for the load and the index builds
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'incidents_incident' AND sql NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    sql = f"INSERT INTO incidents_incident ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    loaded = 0
    try:
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(_sqlite_value(value) for value in row))
            if len(batch) == 100_000:
                loaded += _sqlite_batch(conn, sql, batch)
                batch = []
        loaded += _sqlite_batch(conn, sql, batch)
    finally:
        started = time.monotonic()
        for _, definition in indexes:
            conn.execute(definition)
        print(f"  rebuilt {len(indexes)} indexes in {time.monotonic() - started:.1f} s", flush=True)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return loaded


def _sqlite_batch(conn: Any, sql: str, batch: list[tuple[Any, ...]]) -> int:
    conn.execute("BEGIN")
    conn.executemany(sql, batch)
    conn.execute("COMMIT")
    return len(batch)


def _sqlite_value(value: Any) -> Any:
    # What Django's SQLite backend stores: naive UTC text, booleans as 0/1.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, bool):
        return int(value)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="default: $DATABASE_URL")
    parser.add_argument("--count", type=int, required=True, help="incidents to add (max 5,000,000)")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument(
        "--without-sla", dest="with_sla", action="store_false", help="no SLA policies or clocks (default: with)"
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        raise SystemExit("seed: give --database-url or set DATABASE_URL")
    if not 0 < args.count <= 5_000_000:
        raise SystemExit("seed: --count must be 1..5,000,000")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.config.settings")
    sys.path.append(str(SRC))  # when keel is not installed; PYTHONPATH (run.py --commit) comes first
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from keel.incidents.models import Incident

    expected = {f.column for f in Incident._meta.concrete_fields if not f.primary_key}
    if expected != set(COLUMNS):
        raise SystemExit(
            f"seed: incidents_incident changed (new: {sorted(expected - set(COLUMNS))}, gone: "
            f"{sorted(set(COLUMNS) - expected)}); update COLUMNS and Generator.row in bench/seed.py"
        )
    started = time.monotonic()
    refs = create_references(args.count)
    connection.close()
    print(
        f"seed: {len(refs.team_ids)} teams, {sum(len(m) for m in refs.members.values())} staff, "
        f"{len(refs.caller_ids)} callers ({time.monotonic() - started:.1f} s)",
        flush=True,
    )
    rows = Generator(refs, seed=args.seed, now=datetime.now(UTC).replace(microsecond=0)).rows(args.count)
    database = settings.DATABASES["default"]
    vendor = "postgres" if "postgresql" in database["ENGINE"] else "sqlite"
    load = load_postgres if vendor == "postgres" else load_sqlite
    loaded = load(database, rows)
    print(f"seed: loaded {loaded:,} incidents into {vendor} in {time.monotonic() - started:.1f} s", flush=True)
    if args.with_sla:
        started = time.monotonic()
        clocks = seed_clocks(database, vendor)
        print(f"seed: {clocks:,} SLA clocks in {time.monotonic() - started:.1f} s", flush=True)
    return 0


# --- SLA clocks --------------------------------------------------------------------------------

CLOCK_COLUMNS: Final = (
    "incident_id",
    "name",
    "is_current",
    "policy_id",
    "policy_name",
    "calendar_id",
    "calendar_version_id",
    "target_s",
    "thresholds",
    "started_at",
    "state",
    "due_at",
    "next_at",
    "elapsed_s",
    "elapsed_at",
    "breached_at",
    "ended_at",
    "priority",
    "service_id",
    "group_id",
)


def seed_clocks(database: dict[str, Any], vendor: str) -> int:
    """A response and a resolution clock per incident under the demo's policies (24×7 for P1/P2,
    London office hours for P3-P5), so list pages carry the ``sla`` entries a live system has.

    Stopped clocks get wall-clock figures (a read shows them as stored, it never recomputes
    them); running clocks start at the incident's opening with nothing counted yet, so a read
    counts their business time up to now through the calendar, as it does in production.
    """
    from django.db import connection

    from keel.demo.service_levels import create_service_levels
    from keel.sla.models import Clock

    expected = {f.column for f in Clock._meta.concrete_fields if not f.primary_key}
    if expected != set(CLOCK_COLUMNS):
        raise SystemExit(f"seed: sla_clock changed ({sorted(expected ^ set(CLOCK_COLUMNS))}); update CLOCK_COLUMNS")
    policies = {policy.priority: policy for policy in create_service_levels() if policy.priority is not None}
    versions = {
        policy.pk: policy.calendar.versions.order_by("-number").values_list("pk", flat=True)[0]
        for policy in policies.values()
    }
    connection.close()
    incidents = (
        "SELECT id, priority, state, opened_at, first_response_at, resolved_at, closed_at, updated_at,"
        " service_id, assignment_group_id FROM incidents_incident ORDER BY id"
    )

    rows = _ClockRows(policies, versions)
    if vendor == "postgres":
        import psycopg

        params = {
            "dbname": database["NAME"],
            "user": database["USER"] or None,
            "password": database["PASSWORD"] or None,
            "host": database["HOST"] or None,
            "port": database["PORT"] or None,
        }
        count = 0
        # Read through one connection while COPY streams into another (a COPY holds its connection).
        with psycopg.connect(**params) as reader, psycopg.connect(**params) as conn:
            with reader.cursor(name="incidents") as source, conn.cursor() as target:
                source.itersize = 20_000
                source.execute(incidents)
                with target.copy(f"COPY sla_clock ({', '.join(CLOCK_COLUMNS)}) FROM STDIN") as copy:
                    for row in rows(source):
                        copy.write_row(row)
                        count += 1
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE sla_clock")
        return count
    import sqlite3

    reader = sqlite3.connect(database["NAME"])
    conn = sqlite3.connect(database["NAME"], isolation_level=None)
    insert = f"INSERT INTO sla_clock ({', '.join(CLOCK_COLUMNS)}) VALUES ({', '.join('?' * len(CLOCK_COLUMNS))})"
    count = 0
    conn.execute("BEGIN")
    batch: list[tuple[Any, ...]] = []
    for row in rows(reader.execute(incidents)):
        batch.append(tuple(_sqlite_value(value) for value in row))
        if len(batch) >= 50_000:
            conn.executemany(insert, batch)
            count += len(batch)
            batch.clear()
    conn.executemany(insert, batch)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    reader.close()
    return count + len(batch)


class _ClockRows:
    """Clock rows for incident rows (id, priority, state, five times, service, group)."""

    def __init__(self, policies: dict[int, Any], versions: dict[int, int]) -> None:
        self.policies = policies
        self.versions = versions

    def __call__(self, source: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        for pk, priority, state, *times, service, group in source:
            opened, responded, resolved, closed, updated = (_aware(value) for value in times)
            policy = self.policies[priority]
            thresholds = json.dumps(policy.thresholds)
            for name, target, stop in (
                ("response", policy.response_target_s, responded or resolved),
                ("resolution", policy.resolution_target_s, resolved),
            ):
                due = opened + timedelta(seconds=target)
                head = (pk, name, True, policy.pk, policy.name, policy.calendar_id, self.versions[policy.pk], target)
                head = (*head, thresholds, opened)
                tail = (priority, service, group)
                if state == "cancelled":
                    ended = closed or updated
                    yield (
                        *head,
                        "cancelled",
                        None,
                        None,
                        int((ended - opened).total_seconds()),
                        ended,
                        None,
                        ended,
                        *tail,
                    )
                elif stop is not None:
                    breached = stop > due
                    outcome = "breached" if breached else "met"
                    elapsed = int((stop - opened).total_seconds())
                    yield (*head, outcome, None, None, elapsed, stop, due if breached else None, stop, *tail)
                elif state == "on_hold" and name == "resolution":
                    yield (*head, "paused", None, None, 0, opened, None, None, *tail)
                else:
                    yield (*head, "running", due, due, 0, opened, None, None, *tail)


def _aware(value: Any) -> Any:
    # PostgreSQL hands back aware datetimes; SQLite the naive UTC text Django stored.
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


if __name__ == "__main__":
    sys.exit(main())
