"""What every inbound parser turns a sender's payload into: plain, normalised signals.

A parser is a pure function ``parse(payload, *, received_at, ...) -> list[Signal]``: no ORM, no
clock of its own (``received_at`` is when Keel stored the raw request), no network. It raises
``MalformedPayload`` with a sentence that says what is wrong, and ignores keys it does not know
(senders add keys between versions).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from keel.lib.errors import InvalidInput


class MalformedPayload(InvalidInput):
    """The payload cannot be read as this sender's format; the message says why (answered with 400)."""


class SignalStatus(StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Severity(StrEnum):
    """Keel's severity scale (PagerDuty's four); parsers map every sender's words onto it."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Link:
    href: str
    text: str = ""


@dataclass(frozen=True)
class AlertSignal:
    """One alert as one sender said it, at one moment.

    ``identity`` is the sender's own key for the alert (Alertmanager's fingerprint, PagerDuty's
    dedup_key, a generic mapping's dedup field) or ``None`` when the sender has none: the source's
    dedup-key template then builds one from the labels. ``ends_at`` is a lease when the status is
    firing (Prometheus re-sends before it runs out; if it does not, the alert expires) and the end
    when resolved; ``None`` means open-ended. ``starts_at`` is the sender's start, or when Keel
    received the request if the sender gave none.

    A *status-only* signal (a PagerDuty acknowledge or resolve, which names nothing but its
    dedup_key) has ``severity`` ``None``, an empty ``summary`` and no labels: it changes the status
    of the alert it names and must not overwrite what that alert already says.
    """

    status: SignalStatus
    summary: str
    severity: Severity | None
    labels: Mapping[str, str]
    identity: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    links: Sequence[Link] = ()
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeSignal:
    """A change that happened (a deploy, a config push): recorded for context, never an alert."""

    summary: str
    source: str
    at: datetime
    links: Sequence[Link] = ()
    details: Mapping[str, object] = field(default_factory=dict)


type Signal = AlertSignal | ChangeSignal
