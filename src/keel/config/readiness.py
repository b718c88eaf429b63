"""What ``/readyz`` checks once the database answers (lib/health.py), in the order it reports them."""

from keel.integrations.queries.intake import intake_readiness
from keel.scheduler.queries import workers_readiness

CHECKS = {
    "workers": workers_readiness,  # some keel worker beat within KEEL_READY_WORKER_SECONDS
    "intake": intake_readiness,  # fewer than KEEL_READY_MAX_BACKLOG monitoring payloads wait
}
