from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "keel.routing"
    label = "routing"
    verbose_name = "Routing: where new incidents go"
