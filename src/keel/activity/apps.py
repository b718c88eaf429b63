from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "keel.activity"
    label = "activity"
    verbose_name = "Timelines, comments and audit"
