from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "keel.incidents"
    label = "incidents"
    verbose_name = "Incidents"
