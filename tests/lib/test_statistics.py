"""Standing in for autovacuum's analyze: tables that changed much get fresh planner statistics."""

import pytest
from django.db import connection

from keel.accounts.models import Team
from keel.lib.database import postgres
from keel.lib.sql import fetch
from keel.lib.statistics import analyze_stale_tables

pytestmark = pytest.mark.skipif(not postgres(), reason="SQLite plans without per-table statistics of this kind")


def _last_analyzed(table: str) -> object:
    return fetch("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])[0][0]


def test_a_table_that_grew_past_autovacuums_threshold_is_analyzed_and_then_left_alone(transactional_db):
    table = Team._meta.db_table
    analyze_stale_tables(even_with_autovacuum=True)  # whatever the migrations left
    Team.objects.bulk_create([Team(slug=f"t{n}", name=f"Team {n}") for n in range(500)])
    fetch("SELECT pg_stat_force_next_flush()", [])  # the counts reach the statistics once idle
    connection.cursor().execute("SELECT 1")

    assert table in analyze_stale_tables(even_with_autovacuum=True)
    assert _last_analyzed(table) is not None
    fetch("SELECT pg_stat_force_next_flush()", [])
    assert table not in analyze_stale_tables(even_with_autovacuum=True)


def test_nothing_is_analyzed_while_autovacuum_runs(transactional_db):
    if not fetch("SELECT current_setting('autovacuum')::boolean", [])[0][0]:
        pytest.skip("autovacuum is off on this server")
    Team.objects.bulk_create([Team(slug=f"t{n}", name=f"Team {n}") for n in range(500)])

    assert analyze_stale_tables() == []
