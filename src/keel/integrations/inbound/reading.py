"""Reading decoded JSON the way every inbound parser needs it: each refusal names the place to fix.

``where`` is the JSON path of the value being read (``alerts[1].labels``); messages follow
``<where> must be <what> (got <what was there>)``.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Final
from urllib.parse import urlsplit

from keel.integrations.inbound.parsed import Link, MalformedPayload

# Go's zero time.Time: Alertmanager and Grafana write it for "not ended".
GO_ZERO_TIME: Final = datetime(1, 1, 1, tzinfo=UTC)
TIMESTAMP_EXAMPLE: Final = "2026-11-27T14:07:03Z"

_SHOWN_TEXT: Final = 40


class _Missing:
    """A key the sender left out, told apart from an explicit null in messages ("got nothing")."""


MISSING: Final = _Missing()
_CONSTANTS: Final[Mapping[object, str]] = {MISSING: "nothing", None: "null", True: "true", False: "false"}
# RFC 3339 (and ISO 8601's basic offset "+0000", which PagerDuty's own examples use). Digits past
# microseconds (Prometheus writes nanoseconds) are dropped: a datetime holds no more.
_TIMESTAMP: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))",
    re.ASCII,
)


def got(value: object) -> str:
    """What a refusal says it found: ``(got a list)``, ``(got 'urgent')``, ``(got the number 4)``."""
    return f"(got {_shown(value)})"


def _shown(value: object) -> str:
    match value:
        case bool() | None | _Missing():
            return _CONSTANTS[value]
        case int() | float():
            return f"the number {_number_text(value)}"
        case str():
            return repr(value if len(value) <= _SHOWN_TEXT else value[:_SHOWN_TEXT] + "…")
        case Mapping():
            return "an object"
        case list() | tuple():
            return "a list"
    return f"a {type(value).__name__}"


def _number_text(value: float) -> str:
    try:
        return str(value)
    except ValueError:  # an integer past Python's digit limit (json.loads refuses those too)
        return "…"


def child(where: str, key: str | int) -> str:
    """The path of a member: ``child("alerts", 1)`` is ``alerts[1]``, ``child("alerts[1]", "labels")``."""
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def as_object(value: object, where: str, *, what: str = "an object") -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise MalformedPayload(f"{where} must be {what} {got(value)}", field=where)


def as_list(value: object, where: str, *, what: str = "a list") -> Sequence[object]:
    if isinstance(value, list | tuple):
        return value
    raise MalformedPayload(f"{where} must be {what} {got(value)}", field=where)


def text_map(value: object, where: str, *, what: str) -> dict[str, str]:
    """An object whose every value is text, such as labels: ``what`` names it ("label name → text")."""
    members = as_object(value, where, what=f"an object of {what}")
    for key, member in members.items():
        if not isinstance(member, str):
            place = child(where, str(key))
            raise MalformedPayload(f"{place} must be text {got(member)}", field=place)
    return {str(key): member for key, member in members.items()}


def scalar_text(value: object) -> str | None:
    """Text for a JSON scalar (``3`` → ``"3"``, ``true`` → ``"true"``); ``None`` for null, objects and lists."""
    match value:
        case str():
            return value
        case bool():
            return "true" if value else "false"
        case int() | float():
            return _number_text(value)
    return None


def optional_text(members: Mapping[str, Any], key: str, where: str) -> str | None:
    """``members[key]`` when it is text; ``None`` when absent or null; refused when anything else."""
    value = members.get(key)
    if value is None or isinstance(value, str):
        return value
    place = child(where, key)
    raise MalformedPayload(f"{place} must be text {got(value)}", field=place)


def timestamp(value: object, where: str) -> datetime | None:
    """An RFC 3339 date and time as an aware UTC datetime; Go's zero time (``0001-01-01T00:00:00Z``) is None."""
    moment = parse_timestamp(value)
    if moment is None:
        raise MalformedPayload(
            f"{where} must be an RFC 3339 date and time with a time zone, such as {TIMESTAMP_EXAMPLE} {got(value)}",
            field=where,
        )
    return None if moment == GO_ZERO_TIME else moment


def optional_timestamp(members: Mapping[str, Any], key: str, where: str) -> datetime | None:
    """``members[key]`` read by ``timestamp``; ``None`` when absent or null."""
    value = members.get(key)
    return None if value is None else timestamp(value, child(where, key))


def parse_timestamp(value: object) -> datetime | None:
    """The instant ``value`` writes in RFC 3339, in UTC, or ``None`` when it is not one."""
    return _instant(value) if isinstance(value, str) else None


@lru_cache(maxsize=4096)
def _instant(value: str) -> datetime | None:
    # Cached: a notification's alerts mostly share their times (Alertmanager's group, the zero
    # endsAt), and reading them was a tenth of processing a storm. Datetimes are immutable.
    found = _TIMESTAMP.fullmatch(value.strip())
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, offset_hours, offset_minutes = found.groups()
    try:
        offset = timedelta(hours=int(offset_hours or 0), minutes=int(offset_minutes or 0))
        zone = UTC if zulu else timezone(-offset if sign == "-" else offset)
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
        )
        return moment.replace(tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError):  # month 13, offset +25:00, or an instant before year 1 in UTC
        return None


def received_utc(received_at: datetime) -> datetime:
    """``received_at`` in UTC. It is Keel's own clock reading: a naive one is a programming error, not bad input."""
    if received_at.utcoffset() is None:
        raise ValueError("received_at must be an aware datetime (Keel stores times in UTC)")
    return received_at.astimezone(UTC)


def http_link(href: object, text: str) -> Link | None:
    """A link for the console, or ``None`` unless ``href`` is an absolute http(s) URL.

    Anything else (``javascript:``, a relative path, an empty generatorURL) would be a dangerous or
    dead link in the page, so it is left out rather than refused: the alert matters more.
    """
    if not isinstance(href, str):
        return None
    href = href.strip()
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return Link(href=href, text=text)
