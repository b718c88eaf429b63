"""Panels: a part of a record page that another app draws, listed in config rather than imported.

A record page (the incident's, say) sits low on the import ladder and may not import the apps that
know more about its record (monitoring's alerts sit above incidents). Those apps instead provide a
function ``(user, record) -> Panel | None``, and ``config/panels.py`` lists the functions per page
(named by a ``KEEL_*_PANELS`` setting), in the order the page shows them; ``None`` draws nothing.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Panel:
    """What to draw: a template and its context (the template sees the context as ``panel``)."""

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)


def panels_for[Record](setting: str, user: Any, record: Record) -> list[Panel]:
    """The panels the functions listed by ``setting`` give for this user and record, in their order."""
    providers: Sequence[Callable[[Any, Record], Panel | None]] = import_string(getattr(settings, setting))
    return [panel for provider in providers if (panel := provider(user, record)) is not None]
