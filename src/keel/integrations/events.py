"""Facts about monitoring, published after commit (see ``config/subscriptions.py``), for what other
apps will do about them (notifications, major incidents). Nothing subscribes yet."""

from dataclasses import dataclass


@dataclass(frozen=True)
class AlertAcknowledged:
    """A person acknowledged an alert in Keel (a sender's own acknowledgement is an alert event only)."""

    alert_id: int
    actor_id: int


@dataclass(frozen=True)
class IncidentOpenedFromAlerts:
    """Monitoring opened an incident for a group of alerts (``IncidentOpened`` is published too)."""

    incident_id: int
    rule_id: int
    key: str  # what the group's alerts share (correlation.group_key)
    alert_ids: tuple[int, ...]
