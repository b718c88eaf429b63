"""On-call schedules: who in a team answers when its incidents need a person, at any moment.

Shaped as PagerDuty and Opsgenie shape them: a team has a schedule per tier (primary, secondary…);
a schedule stacks rotation layers (a higher layer wins where it has someone, a lower one shows
through where it has nobody) and overrides beat every layer. Rotations hand off at a wall-clock
time of the schedule's zone, so a daily 09:00 handoff stays at 09:00 across daylight-saving changes
(``rotation.py`` does the maths over ``sla.business_time``).
"""

from django.conf import settings
from django.db import models

from keel.audit.models import Versioned


class Schedule(Versioned):
    """One tier of a team's on-call: who takes the team's urgent work (tier 1, the primary) or
    backs them up (tier 2, the secondary, …), in one time zone."""

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, help_text="IANA name, e.g. Europe/Berlin.")
    tier = models.PositiveSmallIntegerField(default=1, help_text="1 primary, 2 secondary, …")
    description = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["team__name", "tier", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "tier"], name="oncall_schedule_one_per_team_tier"),
            models.CheckConstraint(condition=models.Q(tier__gte=1), name="oncall_schedule_tier_from_one"),
        ]

    def __str__(self) -> str:
        return self.name


class Rotation(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    CUSTOM = "custom", "Every few days"


class Layer(Versioned):
    """A rotation of a schedule: its members take turns, each for one shift that starts at the
    handoff time (local wall clock) — every day, every week on the handoff weekday, or every
    ``shift_days`` days — from the start date on. Restrictions (weekly windows, local time) limit
    it to those hours; outside them the layer has nobody and lower layers show through."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=1, help_text="Higher layers win where they have someone.")
    rotation = models.CharField(max_length=8, choices=Rotation.choices, default=Rotation.WEEKLY)
    shift_days = models.PositiveSmallIntegerField(default=7, help_text="Days per shift: 1 daily, 7 weekly.")
    handoff_time = models.TimeField(help_text="Local wall-clock time of the handoff.")
    handoff_weekday = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Weekly rotations: 0 Monday … 6 Sunday."
    )
    start_date = models.DateField(help_text="The first member starts at the first handoff on or after it.")
    members = models.JSONField(default=list, blank=True, help_text="User ids, in the order they take turns.")
    restrictions = models.JSONField(default=list, blank=True, help_text="Weekly windows; empty: all the time.")

    class Meta:
        ordering = ["schedule_id", "-position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "name"], name="oncall_layer_name_per_schedule"),
            models.CheckConstraint(
                condition=models.Q(shift_days__gte=1, shift_days__lte=28), name="oncall_layer_shift_days"
            ),
            models.CheckConstraint(
                condition=models.Q(handoff_weekday__isnull=True) | models.Q(handoff_weekday__lte=6),
                name="oncall_layer_handoff_weekday",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule} / {self.name}"


class Override(Versioned):
    """ "I cover for Bob on Saturday": from ``starts_at`` to ``ends_at`` this person is on call for
    the schedule, whatever its layers say."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="oncall_override_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.schedule} from {self.starts_at:%Y-%m-%d %H:%M}"


class ScheduleSetVersion(models.Model):
    """One row naming the schedules' current version: every schedule, layer or override write
    gives it a new random stamp in its transaction, so each process keeps the schedules in memory
    and reads them again only when the stamp changed (as routing's ``RuleSetVersion``)."""

    stamp = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.stamp


class WorkingHours(Versioned):
    """When a person works: an SLA calendar's windows, holidays and closures. Outside them the
    group strategies that hand out routed incidents in turn or by load pass the person over (on
    call is a shift of its own and is not cut by them). A person without one works any time."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    calendar = models.ForeignKey("sla.Calendar", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name_plural = "working hours"

    def __str__(self) -> str:
        return f"{self.person}: {self.calendar}"
