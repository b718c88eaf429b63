"""The alert lifecycle and the correlation vocabulary as data (no ORM)."""

from collections.abc import Mapping
from typing import Final

from django.db import models

from keel.incidents.states import Level
from keel.integrations.inbound.parsed import Severity


class SourceKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager (webhook)"
    PROMETHEUS = "prometheus", "Prometheus (as an Alertmanager)"
    PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
    GENERIC = "generic", "Generic JSON webhook"


class PayloadStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be processed"
    PROCESSED = "processed", "Processed"
    REJECTED = "rejected", "Rejected (malformed)"
    FAILED = "failed", "Failed while processing"


class Endpoint(models.TextChoices):
    ALERTS = "alerts", "Alerts"
    CHANGES = "changes", "Change events"


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    EXPIRED = "expired", "Expired"


ACTIVE: Final = frozenset({AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED})
ENDED: Final = frozenset({AlertStatus.RESOLVED, AlertStatus.EXPIRED})


class AlertEventKind(models.TextChoices):
    FIRED = "fired", "Fired"
    REFIRED = "refired", "Fired again"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    EXPIRED = "expired", "Expired (not re-sent before its lease ran out)"
    FLAPPING = "flapping", "Started flapping"
    STEADY = "steady", "Stopped flapping"
    SUPPRESSED = "suppressed", "Suppressed by a maintenance window"
    OPENED_INCIDENT = "opened_incident", "Opened an incident"
    JOINED_INCIDENT = "joined_incident", "Joined an incident"


class GroupBy(models.TextChoices):
    """What alerts must share to be one incident."""

    SERVICE = "service", "Business service (else CI, else labels)"
    CI = "ci", "Configuration item (else labels)"
    LABELS = "labels", "The rule's group labels"


class OnAllResolved(models.TextChoices):
    RESOLVE = "resolve", "Resolve the incident"
    ASK = "ask", "Tell the assignee on the timeline"


class OnRefire(models.TextChoices):
    REOPEN = "reopen", "Reopen the resolved incident"
    NEW = "new", "Open a new incident linked to it"


# What each severity says about how fast it must be fixed (the incident's urgency).
URGENCY_OF: Final[Mapping[Severity, Level]] = {
    Severity.CRITICAL: Level.HIGH,
    Severity.ERROR: Level.HIGH,
    Severity.WARNING: Level.MEDIUM,
    Severity.INFO: Level.LOW,
}

SEVERITY_RANK: Final[Mapping[str, int]] = {
    Severity.CRITICAL: 0,
    Severity.ERROR: 1,
    Severity.WARNING: 2,
    Severity.INFO: 3,
}

# Flapping (as Nagios/Alerta count it): this many status changes within the window.
FLAP_CHANGES: Final = 4
FLAP_WINDOW_S: Final = 600
