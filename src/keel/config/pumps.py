"""Work each worker pumps continuously while there is any (scheduler/pumps.py)."""

from keel.integrations.actions.processing import process_pending
from keel.scheduler.pumps import Pump

PUMPS = [
    # Monitoring payloads stored by the intake: processed within a fraction of a second of arrival.
    # A helper worker joins in when a batch's worth is waiting or the oldest payload has waited.
    Pump(
        name="integrations.intake",
        run=lambda: process_pending().payloads,
        helper=lambda: process_pending(backlog_only=True).payloads,
    ),
]
