from django.db import models
from django.db.models import Q

from keel.audit.models import Versioned
from keel.sla.replay import Kind, State


class ClockName(models.TextChoices):
    RESPONSE = "response", "Response"
    RESOLUTION = "resolution", "Resolution"


class OnReopen(models.TextChoices):
    RESUME = "resume", "Resume the resolution clock"
    RESTART = "restart", "Start a new resolution clock"


class Calendar(Versioned):
    """Business hours: when SLA time counts. A time zone, weekly working windows, public holidays
    (from the ``holidays`` package, stored as dates) and custom closures.

    ``windows`` is ``[{"weekday": "mon", "opens": "09:00", "closes": "17:00"}, …]``; ``closures``
    ``[{"starts": "2025-12-24T13:00", "ends": "2025-12-25T00:00", "name": "…"}, …]`` in wall-clock
    time; ``holidays`` ``[{"date": "2025-12-25", "name": "…"}, …]``. Every edit stores a new
    ``CalendarVersion``, which is what clocks count with.
    """

    name = models.CharField(max_length=100, unique=True)
    zone = models.CharField(max_length=64)
    windows = models.JSONField(default=list)
    holiday_country = models.CharField(max_length=8, blank=True)
    holiday_subdivision = models.CharField(max_length=16, blank=True)
    holidays = models.JSONField(default=list, blank=True)
    closures = models.JSONField(default=list, blank=True)
    recurring_closures = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.zone})"


class CalendarVersion(models.Model):
    """One immutable state of a calendar (SLA-SEMANTICS §6.3): clocks replay against it, so editing
    a calendar never rewrites how past business time was counted."""

    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    spec = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["calendar", "number"], name="sla_calendar_version_unique")]

    def __str__(self) -> str:
        return f"{self.calendar.name} v{self.number}"


class Policy(Versioned):
    """An SLA: the response and resolution targets an incident gets, chosen by the first active
    policy (lowest ``position``) whose criteria all match; an empty criterion matches anything."""

    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    service = models.ForeignKey("cmdb.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The incident category's id: sla sits below incidents and cannot name its model (DESIGN §4.3).
    category_id = models.PositiveIntegerField(null=True, blank=True)
    caller_vip = models.BooleanField(null=True, blank=True)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="policies")
    response_target_s = models.PositiveIntegerField(null=True, blank=True)
    resolution_target_s = models.PositiveIntegerField(null=True, blank=True)
    thresholds = models.JSONField(default=list)
    pausing_reasons = models.JSONField(default=list)
    on_reopen = models.CharField(max_length=16, choices=OnReopen.choices, default=OnReopen.RESUME)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(response_target_s__isnull=False) | Q(resolution_target_s__isnull=False),
                name="sla_policy_has_a_target",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Clock(models.Model):
    """One measured commitment on one incident (response or resolution) with a cache of its replay.

    Everything but the identity is derived from ``events`` by ``replay``; ``next_at`` is when the
    sweep must look at it again (the next warning, or the breach), NULL when nothing can fire.
    """

    incident_id = models.PositiveBigIntegerField()
    name = models.CharField(max_length=16, choices=ClockName.choices)
    is_current = models.BooleanField(default=True)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="clocks")
    policy_name = models.CharField(max_length=100)
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="clocks")
    # The calendar version counting from ``elapsed_at`` on: what a read needs to add time since then.
    calendar_version = models.ForeignKey(CalendarVersion, on_delete=models.PROTECT, related_name="+")
    target_s = models.PositiveIntegerField()
    thresholds = models.JSONField(default=list)
    started_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=[(s.value, s.value) for s in State], default=State.RUNNING.value)
    due_at = models.DateTimeField(null=True, blank=True)
    next_at = models.DateTimeField(null=True, blank=True)
    elapsed_s = models.PositiveIntegerField(default=0)
    elapsed_at = models.DateTimeField()
    breached_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # What reports group by, as of the clock's last change.
    priority = models.PositiveSmallIntegerField(null=True)
    service_id = models.PositiveBigIntegerField(null=True)
    group_id = models.PositiveBigIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["incident_id", "name"], name="sla_clock_incident"),
            models.Index(fields=["next_at"], name="sla_clock_next_at", condition=Q(next_at__isnull=False)),
            models.Index(fields=["name", "ended_at"], name="sla_clock_ended"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incident_id", "name"], condition=Q(is_current=True), name="sla_clock_one_current"
            ),
            models.CheckConstraint(condition=Q(state__in=[s.value for s in State]), name="sla_clock_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} clock of incident #{self.incident_id}"


class ClockEvent(models.Model):
    """One thing that happened to a clock, append-only: the clock's explanation and replay input.

    ``at`` is the instant it applies to (a breach's due, a threshold's computed instant);
    ``recorded_at`` when Keel noticed. ``data`` keeps the cause, the hold reason, old and new
    targets, the business seconds counted at that moment and the calendar version in force.
    """

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=[(k.value, k.value) for k in Kind])
    at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    actor_id = models.PositiveBigIntegerField(null=True, blank=True)
    target_s = models.PositiveIntegerField(null=True, blank=True)
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    calendar_version = models.ForeignKey(CalendarVersion, null=True, blank=True, on_delete=models.PROTECT)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        constraints = [
            # Each warning and the breach fire once per clock, however many sweeps race (B9).
            models.UniqueConstraint(
                fields=["clock", "percent"], condition=Q(kind=Kind.THRESHOLD.value), name="sla_event_threshold_once"
            ),
            models.UniqueConstraint(
                fields=["clock"], condition=Q(kind=Kind.BREACHED.value), name="sla_event_breach_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at.isoformat()}"
