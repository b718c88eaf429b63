"""Which door a change came through (the console, the API, the admin, the CLI, monitoring or Keel
itself), for the audit trail: set once where a request or command enters, read where a change is
recorded, so no action takes it as an argument."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models


class Door(models.TextChoices):
    CONSOLE = "console", "Console"
    API = "api", "API"
    ADMIN = "admin", "Admin"
    CLI = "cli", "Command line"
    MONITORING = "monitoring", "Monitoring"
    SYSTEM = "system", "Keel itself"


# A thread starts with the default: the worker's pumps and scheduler are Keel itself.
_door: ContextVar[Door] = ContextVar("keel_door", default=Door.SYSTEM)


def current_door() -> Door:
    return _door.get()


@contextmanager
def entering(door: Door) -> Iterator[None]:
    """Changes made inside this block came through ``door``."""
    token = _door.set(door)
    try:
        yield
    finally:
        _door.reset(token)
