"""Database incidents: performance, availability, backup and restore."""

from typing import Final

from keel.demo.topics.base import R, Report, Topic

DATABASE: Final[tuple[Topic, ...]] = (
    Topic(
        category="Database",
        subcategory="Performance",
        group="database",
        service="Online shop",
        cis=("payments-db",),
        desk_fixable=False,
        reports=(
            Report(
                levels="HM",
                title="payments-db queries slow, checkout timing out",
                description="Checkout takes 20+ seconds and sometimes times out. The shop team suspects the database.",
                diagnosis="Autovacuum had not run on payments.orders for 9 days; table bloat at 60 %.",
                code=R.SOLVED_PERMANENTLY,
                fix="Vacuumed and reindexed payments.orders; tuned autovacuum for that table.",
            ),
            Report(
                levels="MM",
                title="Nightly ERP export ran five hours instead of forty minutes",
                description=(
                    "The export to the data warehouse finished at 07:10 instead of 01:40; the morning reports are late."
                ),
                diagnosis="A long-running migration transaction held a lock on order_lines all night.",
                code=R.SOLVED_PERMANENTLY,
                fix="Ended the stale transaction and added a lock timeout to the migration tool.",
            ),
        ),
        alerts=(
            Report(
                levels="MH",
                title="payments-db: replica lag above 300 s",
                description='Alertmanager: pg_replication_lag_seconds{instance="payments-db-replica"} > 300 for 5m.',
                diagnosis=(
                    "A report query without a date filter scans the whole orders table on the replica every minute."
                ),
                code=R.SOLVED_PERMANENTLY,
                fix="Added the date filter and an index for the report; lag back under 1 s.",
            ),
        ),
    ),
    Topic(
        category="Database",
        subcategory="Availability",
        group="database",
        service="ERP",
        cis=("erp-db-01",),
        desk_fixable=False,
        reports=(
            Report(
                levels="HH",
                title="erp-db-01 is not accepting connections",
                description="The ERP shows 'Database connection lost'. Finance cannot work.",
                diagnosis="erp-db-01 ran out of disk on the WAL volume after archiving failed.",
                code=R.SOLVED_PERMANENTLY,
                fix="Freed space on the WAL volume, fixed archiving and restarted erp-db-01.",
            ),
            Report(
                levels="MM",
                title="Reporting replica is unavailable",
                description="Power BI refreshes fail with 'could not connect to server' since 06:00.",
                diagnosis="The replica did not start after the OS update: wrong data directory permissions.",
                code=R.SOLVED_PERMANENTLY,
                fix="Fixed the data directory permissions and restarted the replica; it caught up.",
            ),
        ),
    ),
    Topic(
        category="Database",
        subcategory="Backup & restore",
        group="database",
        service="ERP",
        cis=("erp-db-01",),
        desk_fixable=False,
        reports=(
            Report(
                levels="MM",
                title="Please restore deleted rows in sales_targets",
                description=(
                    "An import yesterday overwrote the Q3 sales targets. Could you restore the table as of Monday?"
                ),
                diagnosis="Restored Monday's backup into a scratch database to extract the rows.",
                code=R.SOLVED_PERMANENTLY,
                fix="Restored the Q3 rows of sales_targets from Monday's backup.",
            ),
            Report(
                levels="MM",
                title="Backup of erp-db-01 failed two nights in a row",
                description="The backup report shows erp-db-01 failed on Tuesday and Wednesday night.",
                diagnosis="The backup account's password expired on Tuesday.",
                code=R.SOLVED_PERMANENTLY,
                fix="Reset the backup account's password; a manual backup succeeded.",
            ),
        ),
    ),
)
