from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "keel.integrations"
    label = "integrations"
    verbose_name = "Monitoring integrations"
