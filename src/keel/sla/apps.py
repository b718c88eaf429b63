from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "keel.sla"
    label = "sla"
    verbose_name = "Service levels: calendars, policies, clocks"
