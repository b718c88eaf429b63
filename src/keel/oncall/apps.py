from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "keel.oncall"
    label = "oncall"
    verbose_name = "On-call: who answers for a team, now and later"
