"""Every periodic job Keel runs, in one list. The scheduler tick enqueues each when due."""

from datetime import timedelta

from keel.accounts.tasks import forget_expired_sessions_task, forget_old_sign_in_failures_task
from keel.idempotency.tasks import purge_expired_keys_task
from keel.incidents.tasks import close_stale_resolved_incidents_task, sweep_escalations_task
from keel.integrations.tasks import sweep_alerts_task
from keel.lib.tasks import analyze_stale_tables_task
from keel.scheduler.tick import Job
from keel.sla.tasks import extend_public_holidays_task, sweep_task

SCHEDULE = [
    Job(name="incidents.auto_close", every=timedelta(minutes=10), run=close_stale_resolved_incidents_task.enqueue),
    # Warnings and breaches must fire within 60 s of their moment (issue 4): sweep twice a minute.
    Job(name="sla.sweep", every=timedelta(seconds=30), run=sweep_task.enqueue),
    # Escalation steps fire within a minute of their moment, as SLA warnings do (their SLA steps follow those).
    Job(name="incidents.escalate", every=timedelta(seconds=30), run=sweep_escalations_task.enqueue),
    # Calendars keep public holidays well past any due (sla.calendars.HOLIDAY_HORIZON); a year of slack.
    Job(name="sla.extend_public_holidays", every=timedelta(days=1), run=extend_public_holidays_task.enqueue),
    # Leases that ran out, flapping that calmed down, rules that wait on time (minimum firing time).
    Job(name="integrations.sweep", every=timedelta(seconds=30), run=sweep_alerts_task.enqueue),
    # Failed sign-ins that slid out of the throttling window; console sessions unused past their idle time.
    Job(
        name="accounts.forget_sign_in_failures",
        every=timedelta(minutes=10),
        run=forget_old_sign_in_failures_task.enqueue,
    ),
    Job(name="accounts.forget_expired_sessions", every=timedelta(hours=6), run=forget_expired_sessions_task.enqueue),
    # The planner's statistics of tables that grow fast (alerts in a storm), when autovacuum is off.
    Job(name="db.analyze_stale_tables", every=timedelta(minutes=1), run=analyze_stale_tables_task.enqueue),
    # Idempotency keys past KEEL_IDEMPOTENCY_KEY_HOURS (a lookup treats them as gone already).
    Job(name="idempotency.purge_keys", every=timedelta(hours=1), run=purge_expired_keys_task.enqueue),
]
