"""Routing rules: which assignment group a new incident goes to, decided when it is logged."""

from django.conf import settings
from django.db import models

from keel.audit.models import Versioned


class RoutingRule(Versioned):
    """Where a new incident goes. Active rules are tried in order (lowest ``position`` first); the
    first whose every condition holds names the assignment group, and may raise or lower the
    urgency or impact. An empty condition matches anything.

    Categories are named by id: routing sits below incidents and cannot name their model (DESIGN §4.3).
    """

    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    description = models.TextField(blank=True, max_length=2000)
    # Conditions: each a list of what matches; empty, anything.
    category_ids = models.JSONField(default=list, blank=True)
    subcategory_ids = models.JSONField(default=list, blank=True)
    service_ids = models.JSONField(default=list, blank=True)
    ci_ids = models.JSONField(default=list, blank=True)
    ci_type_ids = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, blank=True)
    priorities = models.JSONField(default=list, blank=True)
    caller_vip = models.BooleanField(null=True, blank=True, help_text="Empty: any caller.")
    caller_departments = models.JSONField(default=list, blank=True)
    caller_locations = models.JSONField(default=list, blank=True)
    source_ids = models.JSONField(default=list, blank=True, help_text="Monitoring sources (incidents from alerts).")
    labels = models.JSONField(default=dict, blank=True, help_text="Alert labels that must all be equal.")
    words = models.JSONField(default=list, blank=True, help_text="Any of these words in the title or description.")
    # What it decides.
    assignment_group = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    set_urgency = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 high, 2 medium, 3 low.")
    set_impact = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 high, 2 medium, 3 low.")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(set_urgency__isnull=True) | models.Q(set_urgency__in=(1, 2, 3)),
                name="routing_rule_urgency_is_a_level",
            ),
            models.CheckConstraint(
                condition=models.Q(set_impact__isnull=True) | models.Q(set_impact__in=(1, 2, 3)),
                name="routing_rule_impact_is_a_level",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RuleSetVersion(models.Model):
    """One row naming the rules' current version: every rule write gives it a new random stamp in
    its transaction, so each process keeps the rules in memory and reads them again only when the
    stamp changed (random, not a counter: a restored or rolled-back database never repeats one)."""

    stamp = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.stamp


class Strategy(models.TextChoices):
    MANUAL = "manual", "The group's queue"
    ROUND_ROBIN = "round_robin", "Each member in turn"
    LEAST_LOADED = "least_loaded", "The least busy member"
    ON_CALL = "on_call", "The person on call"


class GroupAssignment(Versioned):
    """How an assignment group hands a routed incident to one of its members, and whose turn it is.
    A group without one works manually. The row is locked while a member is picked, so two
    incidents arriving together never go to the same member by a race."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, primary_key=True, related_name="+")
    strategy = models.CharField(max_length=16, choices=Strategy.choices, default=Strategy.MANUAL)
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.team}: {self.get_strategy_display()}"
