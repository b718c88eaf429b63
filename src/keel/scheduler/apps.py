from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "keel.scheduler"
    label = "scheduler"
    verbose_name = "Periodic jobs"
