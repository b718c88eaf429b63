from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "keel.escalation"
    label = "escalation"
    verbose_name = "Escalation: who is told when an incident stalls"
