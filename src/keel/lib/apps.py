from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "keel.lib"
    label = "keel_lib"
    verbose_name = "Keel framework glue"
