"""Work each worker pumps continuously while there is any (scheduler/pumps.py)."""

from keel.integrations.processing import process_pending
from keel.scheduler.pumps import Pump

PUMPS = [
    # Monitoring payloads stored by the intake: processed within a fraction of a second of arrival.
    Pump(name="integrations.intake", run=lambda: process_pending().payloads),
]
