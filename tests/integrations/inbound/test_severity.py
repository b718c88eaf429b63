"""Senders' severity words onto Keel's four: the table docs/architecture.md documents, word for word."""

import pytest

from keel.integrations.inbound.parsed import Severity
from keel.integrations.inbound.severity import SEVERITY_WORDS, severity_from_word

DOCUMENTED = {
    Severity.CRITICAL: "critical crit fatal emergency emerg page p1 sev1 disaster",
    Severity.ERROR: "error err major high severe p2 sev2",
    Severity.WARNING: "warning warn minor medium moderate average p3 sev3",
    Severity.INFO: "info informational information notice low none debug not_classified p4 p5 sev4 sev5",
}
WORDS = {word.replace("_", " "): level for level, words in DOCUMENTED.items() for word in words.split()}


def test_the_table_is_the_documented_one():
    assert SEVERITY_WORDS == WORDS


@pytest.mark.parametrize("word", sorted(WORDS))
def test_each_word_in_any_case_and_spacing(word):
    assert severity_from_word(f"  {word.upper()} ") == WORDS[word]
    assert severity_from_word(word.title().replace(" ", "  ")) == WORDS[word]


@pytest.mark.parametrize("word", [None, "", "sev0", "urgent", "P 1"])
def test_a_missing_or_unknown_word_is_a_warning(word):
    assert severity_from_word(word) == Severity.WARNING


def test_a_table_of_ones_own_replaces_the_default():
    assert severity_from_word("High", {"high": Severity.CRITICAL}) == Severity.CRITICAL
    assert severity_from_word("critical", {"high": Severity.CRITICAL}) == Severity.WARNING
