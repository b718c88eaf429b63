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


BatchHandler = Callable[[Sequence[Any]], None]
_batched: set[BatchHandler] = set()


def batched(handler: BatchHandler) -> BatchHandler:
    """Mark a handler that takes a list of events: ``publish_all`` hands it all of one commit's at
    once (an SLA sweep fires hundreds of warnings, and one statement for their timeline entries
    replaced one transaction each)."""
    _batched.add(handler)
    return handler


def publish(event: object) -> None:
    """Deliver ``event`` to its handlers once the current transaction commits (never if it rolls back)."""
    publish_all([event])


def publish_all(events: Sequence[object]) -> None:
    """``publish`` each event: a batched handler gets the events it takes in one call, the others
    one call per event. Each call runs after commit on its own, so one failing does not stop the rest."""
    if _muted.get() or not events:
        return
    subscriptions = _subscriptions()
    grouped: dict[BatchHandler, list[object]] = {}
    for event in events:
        for handler in subscriptions.get(type(event), ()):
            if handler in _batched:
                grouped.setdefault(handler, []).append(event)
            else:
                transaction.on_commit(partial(_deliver, handler, event), robust=True)
    for many, taken in grouped.items():
        transaction.on_commit(partial(_deliver, many, taken), robust=True)


def _deliver(handler: Callable[[Any], None], event: object) -> None:
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
