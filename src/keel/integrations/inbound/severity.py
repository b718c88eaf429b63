"""Senders' severity words onto Keel's four (one table for every parser; docs/monitoring.md shows it).

A word is looked up trimmed and case-folded. A missing word, and a word no table knows, is
``warning``: a human should look at it, but it does not page anyone as critical. The sender's own
word stays in the labels (``labels["severity"]``), so rules can still tell the words apart.
"""

from collections.abc import Mapping
from typing import Final

from keel.integrations.inbound.parsed import Severity

DEFAULT_SEVERITY: Final = Severity.WARNING

_WORDS: Final[Mapping[Severity, tuple[str, ...]]] = {
    Severity.CRITICAL: ("critical", "crit", "fatal", "emergency", "emerg", "page", "p1", "sev1", "disaster"),
    Severity.ERROR: ("error", "err", "major", "high", "severe", "p2", "sev2"),
    Severity.WARNING: ("warning", "warn", "minor", "medium", "moderate", "average", "p3", "sev3"),
    Severity.INFO: (
        "info",
        "informational",
        "information",
        "notice",
        "low",
        "none",
        "debug",
        "not classified",
        "p4",
        "p5",
        "sev4",
        "sev5",
    ),
}

# Zabbix's levels follow Zabbix's own PagerDuty media type: Not classified and Information → info,
# Warning and Average → warning, High → error, Disaster → critical.
SEVERITY_WORDS: Final[Mapping[str, Severity]] = {word: level for level, words in _WORDS.items() for word in words}


def word_key(word: str) -> str:
    """How a sender's word is looked up in a table: trimmed and case-folded."""
    return " ".join(word.split()).casefold()


def severity_from_word(word: str | None, table: Mapping[str, Severity] = SEVERITY_WORDS) -> Severity:
    """Keel's severity for a sender's word; ``table`` keys are already ``word_key``-ed."""
    if word is None:
        return DEFAULT_SEVERITY
    return table.get(word_key(word), DEFAULT_SEVERITY)
