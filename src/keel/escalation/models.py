"""Escalation policies: whom Keel tells or pages, and when, as an open incident stalls.

The first active policy (lowest ``position``) whose conditions all hold applies to an incident; its
steps fire independently, each at most once per incident (and, for an SLA step, per clock).
Groups are named by id, channels as words: escalation sits below incidents (DESIGN §4.3).
"""

from django.db import models

from keel.audit.models import Versioned


class EscalationPolicy(Versioned):
    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    description = models.TextField(blank=True, max_length=2000)
    # Conditions: each a list of what matches; empty, anything.
    priorities = models.JSONField(default=list, blank=True)
    group_ids = models.JSONField(default=list, blank=True, help_text="Assignment group ids.")
    channels = models.JSONField(default=list, blank=True)
    # The steps, in order: see ``escalation.steps`` for their shape.
    steps = models.JSONField(default=list)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "escalation policies"

    def __str__(self) -> str:
        return self.name


class Fired(models.Model):
    """A step that fired for an incident: the row that makes it fire once, however many sweeps
    race or restart (the unique constraint refuses the second)."""

    incident_id = models.PositiveBigIntegerField()
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="+")
    step_key = models.CharField(max_length=16)
    clock_id = models.PositiveBigIntegerField(default=0, help_text="The SLA clock of an SLA step; 0 for others.")
    fired_at = models.DateTimeField()
    recipient_ids = models.JSONField(default=list)

    class Meta:
        verbose_name_plural = "fired steps"
        indexes = [models.Index(fields=["incident_id"], name="escalation_fired_incident")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident_id", "policy", "step_key", "clock_id"], name="escalation_step_fires_once"
            )
        ]

    def __str__(self) -> str:
        return f"step {self.step_key} of policy #{self.policy_id} for incident #{self.incident_id}"
