import re

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from keel.incidents.states import (
    DONE,
    Channel,
    HoldReason,
    IncidentState,
    Level,
    Priority,
    ResolutionCode,
)
from keel.lib.text import DESCRIPTION_MAX, NOTE_MAX

NUMBER_PREFIX = "INC"
NUMBER_PATTERN = re.compile(r"^INC(\d{1,12})$", re.IGNORECASE)


def number_for(pk: int) -> str:
    return f"{NUMBER_PREFIX}{pk:07d}"


def pk_from_number(number: str) -> int | None:
    match = NUMBER_PATTERN.match(number.strip())
    return int(match.group(1)) if match else None


class Category(models.Model):
    """A node of the incident category tree: a top-level category or one of its subcategories."""

    name = models.CharField(max_length=100)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_in_parent"),
            models.UniqueConstraint(fields=["name"], condition=Q(parent__isnull=True), name="category_unique_root"),
        ]

    def __str__(self) -> str:
        return self.name


class PriorityRule(models.Model):
    """One cell of the impact × urgency → priority matrix."""

    impact = models.PositiveSmallIntegerField(choices=Level.choices)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="priority_rule_unique_cell")]

    def __str__(self) -> str:
        return f"{Level(self.impact).label} impact × {Level(self.urgency).label} urgency → P{self.priority}"


class Incident(models.Model):
    """An unplanned interruption or reduction in quality of an IT service.

    Its number is derived from its primary key (``INC0000042``), so a lookup by number is a
    primary-key lookup and creating one costs a single INSERT.
    """

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX)])
    # Foreign keys that lead a composite index below skip their own single-column index.
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incidents_called", db_index=False
    )
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    subcategory = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        "cmdb.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name="configuration item",
    )
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.LOW)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.LOW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.P5)
    state = models.CharField(max_length=16, choices=IncidentState.choices, default=IncidentState.NEW)
    hold_reason = models.CharField(max_length=32, choices=HoldReason.choices, blank=True)
    assignment_group = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="incidents", db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents_assigned",
        db_index=False,
    )
    resolution_code = models.CharField(max_length=32, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(blank=True, validators=[MaxLengthValidator(NOTE_MAX)])
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    watchers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="incidents_watched")
    reassignment_count = models.PositiveIntegerField(default=0)
    reopen_count = models.PositiveIntegerField(default=0)
    first_contact_resolution = models.BooleanField(default=False)
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    # Bumped by every write; the API's ETag, so concurrent edits never silently overwrite each other.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-opened_at", "-id"]
        # Every list index ends with the list order (-opened_at, -id), so a page is an index range
        # scan with no sort, on SQLite (whose implicit rowid suffix sorts ascending) as on PostgreSQL.
        indexes = [
            models.Index(fields=["state", "-opened_at", "-id"], name="incident_state_opened"),
            models.Index(fields=["priority", "state", "-opened_at", "-id"], name="incident_priority_state"),
            models.Index(fields=["assignment_group", "state", "-opened_at", "-id"], name="incident_group_state"),
            # A group's whole history (no state filter): without it SQLite sorts the group's rows.
            models.Index(fields=["assignment_group", "-opened_at", "-id"], name="incident_group_opened"),
            models.Index(fields=["assignee", "state", "-opened_at", "-id"], name="incident_assignee_state"),
            models.Index(fields=["caller", "-opened_at", "-id"], name="incident_caller_opened"),
            models.Index(fields=["-opened_at", "-id"], name="incident_opened"),
            models.Index(fields=["state", "resolved_at"], name="incident_state_resolved"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=IncidentState.values), name="incident_state_valid"),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=5), name="incident_priority_valid"),
            models.CheckConstraint(condition=Q(impact__gte=1, impact__lte=3), name="incident_impact_valid"),
            models.CheckConstraint(condition=Q(urgency__gte=1, urgency__lte=3), name="incident_urgency_valid"),
            models.CheckConstraint(
                condition=Q(state__in=sorted(DONE), resolved_at__isnull=False)
                | (~Q(state__in=sorted(DONE)) & Q(resolved_at__isnull=True)),
                name="incident_resolved_at_iff_done",
            ),
            models.CheckConstraint(
                condition=Q(state=IncidentState.CLOSED, closed_at__isnull=False)
                | (~Q(state=IncidentState.CLOSED) & Q(closed_at__isnull=True)),
                name="incident_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(state=IncidentState.ON_HOLD) & ~Q(hold_reason="")
                | ~Q(state=IncidentState.ON_HOLD) & Q(hold_reason=""),
                name="incident_hold_reason_iff_on_hold",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=sorted(DONE)) | ~Q(resolution_code=""),
                name="incident_resolution_code_when_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return number_for(self.pk)

    @property
    def entity_tag(self) -> str:
        """The ETag (quoted) and what If-Match names: the version, bumped by every change of the
        incident's own fields (a comment on its timeline is not one)."""
        return str(self.version)
