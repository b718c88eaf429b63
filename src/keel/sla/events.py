"""Facts about SLA clocks, published after commit (see ``config/subscriptions.py``)."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SlaWarning:
    """A clock used ``percent`` of its target (computed instant ``at``); fires once per clock and percent."""

    clock_id: int
    incident_id: int
    name: str
    percent: int
    at: datetime
    due_at: datetime | None


@dataclass(frozen=True)
class SlaBreached:
    """A clock passed its due at ``at``; fires once per clock. ``on_change``: a retarget made it late."""

    clock_id: int
    incident_id: int
    name: str
    at: datetime
    on_change: bool
