from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "keel.reporting"
    label = "reporting"
    verbose_name = "Reporting"
