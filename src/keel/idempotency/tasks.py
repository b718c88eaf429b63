"""Background work on idempotency keys: thin tasks calling actions."""

from django.tasks import task

from keel.idempotency.actions import purge_expired_keys


@task()
def purge_expired_keys_task() -> int:
    return purge_expired_keys()
