"""Text that the databases cannot store, found or replaced before it reaches them.

PostgreSQL's ``text`` and ``jsonb`` refuse the NUL character (U+0000), and neither database driver
encodes a lone UTF-16 surrogate (U+D800–U+DFFF without its pair, which JSON's ``\\ud9dc`` escape
can spell). Input that carries one is refused naming the field (the API, the CSV import) or, where
refusing would lose an alert, has it replaced by U+FFFD, the Unicode replacement character
(monitoring's inbound payloads).
"""

import json
import re
from typing import Final

import orjson

from keel.lib.errors import InvalidInput

REPLACEMENT: Final = "\ufffd"
_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")


class NotJson(ValueError):
    """The text is not JSON (the message says where)."""


def problem_in(text: str) -> str | None:
    """What makes this text unstorable, said for the person who sent it, or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (\\u0000); remove it"
    return f"contains an unpaired UTF-16 surrogate (\\u{ord(found.group()):04x}); send the character itself"


def first_unstorable(document: object, path: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """Where in a decoded JSON document the first unstorable text is (``windows.0.name``, or the
    parent's path for a bad key) and what is wrong with it; None when all of it can be stored."""
    if isinstance(document, str):
        problem = problem_in(document)
        return None if problem is None else (".".join(path), problem)
    if isinstance(document, dict):
        for key, value in document.items():
            key_text = str(key)
            if (problem := problem_in(key_text)) is not None:
                return ".".join(path), f"has a key that {problem}"
            if (found := first_unstorable(value, (*path, key_text))) is not None:
                return found
    if isinstance(document, list):
        for index, value in enumerate(document):
            if (found := first_unstorable(value, (*path, str(index)))) is not None:
                return found
    return None


def storable(document: object) -> object:
    """The document with every NUL and lone surrogate, in keys and values, replaced by U+FFFD."""
    if isinstance(document, str):
        return _UNSTORABLE.sub(REPLACEMENT, document)
    if isinstance(document, dict):
        return {storable(key): storable(value) for key, value in document.items()}
    if isinstance(document, list):
        return [storable(value) for value in document]
    return document


def loads(raw: bytes | str) -> tuple[object, bool]:
    """Decode JSON, and say whether it may hold unstorable text (worth a ``first_unstorable`` or
    ``storable`` walk): orjson is tried first (fast, and it refuses lone surrogates), the standard
    library after it (which reads them, so that they can be named or replaced). NotJson otherwise."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        try:
            return json.loads(raw), True
        except (ValueError, UnicodeDecodeError):
            raise NotJson(str(error)) from error
    # The only way JSON text spells a NUL is this escape (a raw control character is not JSON).
    if isinstance(raw, bytes):
        return document, b"\\u0000" in raw
    return document, "\\u0000" in raw


# The longest free text Keel keeps, per kind (docs/api.md, "Limits"). The actions refuse longer
# text (for set-up records through their model's validators), the API's schemas and the console's
# forms declare the same numbers, so every door says it the same way.
DESCRIPTION_MAX: Final = 20_000  # an incident's description; a CI's, service's, team's or source's; a window's reason
COMMENT_MAX: Final = 20_000  # a comment or a work note
NOTE_MAX: Final = 5_000  # a transition's note, resolution notes


def check_length(value: str, *, most: int, field: str) -> None:
    """Refuse text longer than ``most`` characters, naming the field."""
    if len(value) > most:
        raise InvalidInput(f"{field} is {len(value):,} characters; at most {most:,} are kept.", field=field)
