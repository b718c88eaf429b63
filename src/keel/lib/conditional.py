"""Conditional changes (RFC 9110 §13.1.1): a client's ``If-Match`` parsed once, checked by the
actions in the transaction that makes the change, so a change made from a stale read is refused
(412) instead of silently overwriting someone else's.

A record's entity tag is an opaque text, sent quoted in ``ETag`` (``"3"``): incidents and set-up
records count their changes, alerts digest their stored fields. ``If-Match`` is ``*`` (any current
version) or a comma-separated list of entity tags, and matches when any of them equals the
record's current tag by the *strong* comparison: a weak tag (``W/"3"``) never matches.
"""

import re
from dataclasses import dataclass
from typing import Final

from keel.lib.errors import InvalidInput, StaleVersion

HEADER: Final = "If-Match"
# RFC 9110 §8.8.3: entity-tag = [ W/ ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text.
# A comma is an etagc, so a list is read tag by tag, never split on commas.
_TAG: Final = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*')
_EMPTY_ELEMENT: Final = re.compile(r"[ \t]*,")


@dataclass(frozen=True, slots=True)
class IfMatch:
    """The versions of a record a change may apply to: any current one (``tags`` None, the
    client's ``*``) or one whose entity tag is in ``tags`` (opaque values, unquoted; the weak
    tags of the header are left out, since they can never match strongly)."""

    tags: frozenset[str] | None = None

    @classmethod
    def version(cls, version: int) -> "IfMatch":
        """Only this numbered version (a form's hidden version field)."""
        return cls(frozenset({str(version)}))

    def check(self, current: str, *, record: str) -> None:
        """Refuse (StaleVersion, 412) unless the record's current tag is one the client expects."""
        if self.tags is None or current in self.tags:
            return
        raise StaleVersion(
            f"{record} has changed since you read it: its ETag is now {quoted(current)}. "
            f"GET it again, re-apply your change to what it holds now, and send If-Match: {quoted(current)}.",
            field=HEADER,
        )


def hold(if_match: IfMatch | None, tag: str, *, record: str) -> None:
    """Refuse a change unless the record, at ``tag`` now (read under the change's lock), is at a
    version the client's If-Match names; no If-Match, no condition."""
    if if_match is not None:
        if_match.check(tag, record=record)


def quoted(tag: str) -> str:
    """An entity tag as ``ETag`` and ``If-Match`` carry it."""
    return f'"{tag}"'


def parse_if_match(raw: str | None) -> IfMatch | None:
    """``If-Match`` as a precondition: None when the header is absent, ``IfMatch()`` for ``*``,
    else the strong tags it lists (possibly none: then nothing matches). A value that is not
    ``*`` or a list of entity tags is refused (400) naming the header."""
    if raw is None:
        return None
    if raw.strip(" \t") == "*":
        return IfMatch()
    return IfMatch(frozenset(tag for weak, tag in _entity_tags(raw) if not weak))


def _entity_tags(raw: str) -> list[tuple[bool, str]]:
    """Each (weak, opaque value) of a list of entity tags; empty list elements are skipped as
    RFC 9110 §5.6.1.2 asks. ``#entity-tag`` may be an empty list (an empty field): it names no
    version, so no record matches it (412)."""
    found: list[tuple[bool, str]] = []
    at = 0
    while at < len(raw):
        empty = _EMPTY_ELEMENT.match(raw, at)
        if empty is not None:
            at = empty.end()
            continue
        tag = _TAG.match(raw, at)
        if tag is None or (tag.end() < len(raw) and raw[tag.end()] != ","):
            if raw[at:].strip(" \t") == "":
                break
            raise _malformed(raw)
        found.append((tag.group(1) is not None, tag.group(2)))
        at = tag.end()
    return found


def _malformed(raw: str) -> InvalidInput:
    return InvalidInput(
        f"{HEADER} must be * or entity tags in double quotes as the ETag header gives them, e.g. "
        f'{HEADER}: "3" (got {raw!r}).',
        field=HEADER,
    )
