from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "keel.idempotency"
    label = "idempotency"
    verbose_name = "Idempotency keys"
