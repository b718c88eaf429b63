"""A person's on-call shifts as an iCalendar feed (RFC 5545), written by hand: a calendar app
subscribes to it by URL, without a session, so the URL carries a secret — the signature of the
username under ``SECRET_KEY`` (salted for this purpose); changing the key revokes every feed link."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from django.core.signing import Signer
from django.utils.crypto import constant_time_compare

SALT: Final = "keel.oncall.feed"
LINE_OCTETS: Final = 75
PRODUCT: Final = "-//Keel//On-call schedules//EN"


@dataclass(frozen=True)
class Event:
    """One stint: ``uid`` stays the same while the stint does, so calendar apps update it in place."""

    uid: str
    start: int
    end: int
    summary: str
    description: str = ""


def feed_token(username: str) -> str:
    """The secret a person's feed URL carries."""
    return Signer(salt=SALT).signature(username)


def is_feed_token(username: str, token: str) -> bool:
    return constant_time_compare(feed_token(username), token)


def calendar(name: str, events: Iterable[Event], *, stamp: datetime) -> bytes:
    """The VCALENDAR text: CRLF line ends, lines folded at 75 octets, times in UTC."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape(event.uid)}",
            f"DTSTAMP:{utc(stamp)}",
            f"DTSTART:{utc(datetime.fromtimestamp(event.start, UTC))}",
            f"DTEND:{utc(datetime.fromtimestamp(event.end, UTC))}",
            f"SUMMARY:{escape(event.summary)}",
            *([f"DESCRIPTION:{escape(event.description)}"] if event.description else []),
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return b"".join(fold(line) + b"\r\n" for line in lines)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    """TEXT as RFC 5545 §3.3.11 writes it."""
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def fold(line: str) -> bytes:
    """The content line split into lines of at most 75 octets, each continuation starting with a
    space (§3.1), never inside a UTF-8 character."""
    raw = line.encode()
    parts: list[bytes] = []
    limit = LINE_OCTETS
    while len(raw) > limit:
        cut = limit
        while cut > 0 and (raw[cut] & 0xC0) == 0x80:  # not in the middle of a character
            cut -= 1
        parts.append(raw[:cut])
        raw = raw[cut:]
        limit = LINE_OCTETS - 1  # the leading space counts
    parts.append(raw)
    return b"\r\n ".join(parts)
