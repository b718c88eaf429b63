import hashlib

import orjson
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from keel.audit.models import Versioned
from keel.integrations.inbound.parsed import Severity
from keel.integrations.states import (
    AlertEventKind,
    AlertStatus,
    Endpoint,
    GroupBy,
    OnAllResolved,
    OnRefire,
    PayloadStatus,
    SourceKind,
)
from keel.lib.text import DESCRIPTION_MAX


class Source(Versioned):
    """A monitoring tool that sends Keel alerts (an Alertmanager, a Prometheus, anything that speaks
    PagerDuty's Events API, a Grafana or Zabbix through the generic webhook).

    It authenticates with a secret that is part of its inbound URL (or, for PagerDuty-style senders,
    the routing key in each event). Only the secret's SHA-256 is kept: the URL is shown once, when
    the source is created or its secret is rotated.
    """

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=SourceKind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=12, help_text="The secret's first characters, to recognise it.")
    description = models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX)])
    # The generic webhook's field mapping (inbound/generic/parse.py: FieldMapping.from_config).
    mapping = models.JSONField(default=dict, blank=True)
    # Labels that make an alert's identity when the sender gives none; empty = all of them.
    identity_labels = models.JSONField(default=list, blank=True)
    # Alerts of this source that are not re-sent for this long expire (0 = only a sender's lease).
    expire_after_s = models.PositiveIntegerField(default=0)
    assignment_group = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=SourceKind.values), name="source_kind_valid")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Payload(models.Model):
    """One request a source sent, stored as received before anything reads it (DESIGN §4.6), so that
    nothing acknowledged is lost and any parser fix can be replayed over it."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="payloads")
    endpoint = models.CharField(max_length=16, choices=Endpoint.choices, default=Endpoint.ALERTS)
    received_at = models.DateTimeField()
    body = models.TextField()
    # "base64" when the body as received could not be stored as text (not UTF-8, or holding NUL
    # bytes, which PostgreSQL's text refuses): ``body`` is then its bytes in base64, lossless.
    body_encoding = models.CharField(max_length=8, blank=True, default="")
    content_type = models.CharField(max_length=100, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=PayloadStatus.choices, default=PayloadStatus.PENDING)
    error = models.TextField(blank=True)
    signals = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Put back in the queue after it was processed once (actions.processing.replay): alerts it already
    # changed are not changed, nor counted, again.
    replayed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The processor's claim: the oldest pending payloads, by an index that holds only them.
            models.Index(fields=["id"], condition=Q(status=PayloadStatus.PENDING), name="payload_pending"),
            models.Index(fields=["source", "-received_at"], name="payload_source_received"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PayloadStatus.values), name="payload_status_valid"),
        ]

    def __str__(self) -> str:
        return f"payload {self.pk} from {self.source_id} ({self.status})"


class Alert(models.Model):
    """One alert identity of one source — a fingerprint, a dedup key. Every notification about it
    updates this row; what changed in its life is in its events."""

    # Indexes here are few on purpose: Alertmanager re-sends every firing alert every few minutes,
    # and a re-send that changes no indexed column is an in-place (HOT) update on PostgreSQL.
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="alerts", db_index=False)
    identity = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.FIRING)
    severity = models.CharField(max_length=16, choices=[(s.value, s.value) for s in Severity])
    summary = models.CharField(max_length=1024)
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict)
    links = models.JSONField(default=list)
    details = models.JSONField(default=dict)
    occurrences = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    # The sender's own times: when it started, when it ended (or, while firing, its lease).
    started_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField()
    is_flapping = models.BooleanField(default=False)
    # Recent status changes (epoch seconds), for flapping; kept short (states.FLAP_CHANGES).
    recent_changes = models.JSONField(default=list)
    # No index on the CI, service or window: nothing reads alerts by them, and every index is a
    # write per new alert (a storm inserts thousands a second). Deleting a CI, a service or a
    # window scans the alerts to clear them, which is rare and admin-only.
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    service = models.ForeignKey(
        "cmdb.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    suppressed_by = models.ForeignKey(
        "MaintenanceWindow", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # Whether Keel still has to decide about an incident for it (correlation, or the sweep later).
    needs_decision = models.BooleanField(default=True)
    # The newest payload applied: an older one arriving late (another worker's batch) is counted
    # but does not overwrite what a newer one said; a replay of an applied one changes nothing.
    last_payload_id = models.BigIntegerField(default=0)

    class Meta:
        # Newest first: by id (the order they first arrived), which the primary key gives for free.
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-id"], name="alert_status"),
            models.Index(fields=["incident"], name="alert_incident"),
            # The sweep's reads: leases running out, decisions waiting.
            models.Index(fields=["ends_at"], condition=Q(status__in=["firing", "acknowledged"]), name="alert_lease"),
            models.Index(fields=["id"], condition=Q(needs_decision=True), name="alert_undecided"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "identity"], name="alert_identity_unique"),
            models.CheckConstraint(condition=Q(status__in=AlertStatus.values), name="alert_status_valid"),
            models.CheckConstraint(condition=Q(severity__in=[s.value for s in Severity]), name="alert_severity_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.summary} ({self.status})"

    @property
    def entity_tag(self) -> str:
        """A digest of the stored alert, which changes whenever any of its fields does. Not a
        counter: the pump writes alerts in batches of thousands through three writers (rows.py),
        each of which would have to bump one."""
        values = {field.attname: getattr(self, field.attname) for field in self._meta.concrete_fields}
        encoded = orjson.dumps(values, default=str, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(encoded).hexdigest()[:24]


class AlertEvent(models.Model):
    """A change in an alert's life: fired, acknowledged, resolved, expired, flapping, suppressed,
    opened or joined an incident. Repeats of the same status are counted on the alert, not here."""

    # Indexed by alert_event_alert_at, whose first column it is.
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events", db_index=False)
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=AlertEventKind.choices)
    payload_id = models.BigIntegerField(null=True, blank=True)
    incident_id = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["alert", "at"], name="alert_event_alert_at")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class ChangeEvent(models.Model):
    """A change a tool reported (a deploy, a configuration push): context for whoever investigates."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="changes")
    payload = models.OneToOneField(Payload, on_delete=models.CASCADE, related_name="change")
    summary = models.CharField(max_length=1024)
    reported_by = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField()
    links = models.JSONField(default=list)
    details = models.JSONField(default=dict)
    ci = models.ForeignKey("cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["-at", "-id"], name="change_event_at")]

    def __str__(self) -> str:
        return self.summary


class MaintenanceWindow(Versioned):
    """Planned work: while it runs, matching alerts are kept but open no incident."""

    name = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # Alertmanager-style matchers, all of which must hold: [{"label": "env", "op": "=", "value": "staging"}].
    matchers = models.JSONField(default=list, blank=True)
    ci = models.ForeignKey("cmdb.ConfigurationItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("cmdb.Service", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX)])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="maintenance_ends")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="maintenance_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name


class CorrelationRule(Versioned):
    """When alerts open an incident, and which alerts join one already open. Rules are tried in
    order; the first whose source, severities and matchers fit the alert decides."""

    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.CASCADE, related_name="rules")
    severities = models.JSONField(default=list, blank=True, help_text="Empty: any severity.")
    matchers = models.JSONField(default=list, blank=True)
    opens_incident = models.BooleanField(default=True, help_text="Off: the alerts are recorded only.")
    # Opens once the alert fired this many times and has been firing this long (defaults: at once).
    min_occurrences = models.PositiveIntegerField(default=1)
    min_firing_s = models.PositiveIntegerField(default=0)
    group_by = models.CharField(max_length=16, choices=GroupBy.choices, default=GroupBy.SERVICE)
    group_labels = models.JSONField(default=list, blank=True)
    # An alert joins its group's incident while it is open, or resolved less than this long ago.
    window_s = models.PositiveIntegerField(default=3600)
    on_all_resolved = models.CharField(max_length=16, choices=OnAllResolved.choices, default=OnAllResolved.RESOLVE)
    on_refire = models.CharField(max_length=16, choices=OnRefire.choices, default=OnRefire.REOPEN)
    assignment_group = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Correlation(models.Model):
    """A group of alerts that is one incident: the rule and key they share. One open group per
    (rule, key), held by a unique constraint, so two workers never open two incidents for it."""

    rule = models.ForeignKey(CorrelationRule, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=500)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField()
    is_current = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "key"], condition=Q(is_current=True), name="correlation_one_current_per_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}:{self.key} → {self.incident_id}"
