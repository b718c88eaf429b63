"""Publish domain events after the transaction commits.

Who reacts to what is listed in one place, ``config/subscriptions.py`` (named by the
``KEEL_SUBSCRIPTIONS`` setting), so ``lib`` never imports an app.
"""

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

Handler = Callable[[Any], None]

_muted: ContextVar[bool] = ContextVar("keel_events_muted", default=False)


@cache
def _subscriptions() -> Mapping[type, Sequence[Handler]]:
    subscriptions: Mapping[type, Sequence[Handler]] = import_string(settings.KEEL_SUBSCRIPTIONS)
    return subscriptions


def publish(event: object) -> None:
    """Deliver ``event`` to its handlers once the current transaction commits (never if it rolls back)."""
    if _muted.get():
        return
    handlers = _subscriptions().get(type(event), ())
    for handler in handlers:
        transaction.on_commit(partial(_deliver, handler, event), robust=True)


def _deliver(handler: Handler, event: object) -> None:
    logger.debug("delivering %r to %s", event, handler.__qualname__)
    handler(event)


@contextmanager
def muted() -> Iterator[None]:
    """Publish nothing inside this block: replaying history (demo, imports) must not notify anyone."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)
