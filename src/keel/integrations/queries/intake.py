"""Reads on the monitoring intake's queue: how many stored payloads wait to be processed (``/readyz``)."""

from django.conf import settings

from keel.integrations.models import Payload
from keel.integrations.states import PayloadStatus
from keel.lib.health import Readiness


def pending_payloads(*, cap: int) -> int:
    """How many payloads wait to be processed, counted up to ``cap`` (a storm's backlog is not
    counted to its end: the count walks the pending payloads' own index)."""
    return Payload.objects.filter(status=PayloadStatus.PENDING).order_by()[:cap].count()


def intake_readiness() -> Readiness:
    """Ready while fewer than ``KEEL_READY_MAX_BACKLOG`` payloads wait (0: not checked)."""
    most = settings.KEEL_READY_MAX_BACKLOG
    if most <= 0:
        return Readiness(True, "not checked (KEEL_READY_MAX_BACKLOG is 0)")
    pending = pending_payloads(cap=most)
    if pending >= most:
        message = f"{most:,} or more monitoring payloads wait to be processed: the workers are behind or stopped"
        return Readiness(False, message, {"pending": pending, "most": most})
    return Readiness(True, f"{pending:,} monitoring payloads wait to be processed", {"pending": pending, "most": most})
