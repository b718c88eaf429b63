from django.apps import AppConfig


class CmdbConfig(AppConfig):
    name = "keel.cmdb"
    label = "cmdb"
    verbose_name = "Configuration management"
