"""The planner's statistics when nothing else keeps them: ``ANALYZE`` of stale tables.

PostgreSQL plans from per-column statistics that autovacuum's analyze keeps fresh. With autovacuum
off (seen on this project's CI and bench machines), a table that started empty never gets any,
and the planner guesses — during a storm it walked the whole alert table per batch
(bench/README.md). ``analyze_stale_tables``
does what autovacuum's analyze would, by its own rule, only when autovacuum is off; the scheduler
runs it every minute.
"""

from typing import Final

from keel.lib.database import postgres
from keel.lib.rows import analyze, autovacuum_on, tables_changed_since_analyze

# autovacuum_analyze_threshold and autovacuum_analyze_scale_factor, PostgreSQL's defaults.
THRESHOLD: Final = 50
SCALE: Final = 0.1


def analyze_stale_tables(*, even_with_autovacuum: bool = False) -> list[str]:
    """ANALYZE each table of this database with more changed rows since its last analyze than
    autovacuum would allow; returns their names (none while autovacuum runs, or on SQLite)."""
    if not postgres():
        return []
    if not even_with_autovacuum and autovacuum_on():
        return []
    stale = tables_changed_since_analyze(threshold=THRESHOLD, scale=SCALE)
    for name in stale:
        analyze(name)
    return stale
