"""If-Match as RFC 9110 §13.1.1 reads it: ``*`` or a list of entity tags, compared strongly."""

import pytest

from keel.lib.conditional import IfMatch, hold, parse_if_match
from keel.lib.errors import InvalidInput, StaleVersion


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ('"3"', {"3"}),
        ('"stale-0"', {"stale-0"}),  # opaque: any tag parses, and simply matches no version of ours
        ('"1", "2"', {"1", "2"}),
        ('"1","2"', {"1", "2"}),
        ('  "3"  ', {"3"}),
        ('W/"3"', set()),  # weak tags never match a strong comparison
        ('W/"3", "4"', {"4"}),
        ('"a,b", "c"', {"a,b", "c"}),  # a comma inside the quotes belongs to the tag
        (', "3",, ', {"3"}),  # empty list elements are allowed (RFC 9110 §5.6.1.2)
        ('""', {""}),
        ('"caf\xe9"', {"caf\xe9"}),  # obs-text, as WSGI hands a Latin-1 byte over
        ("", set()),  # #entity-tag may be an empty list: it names no version
        (" , ", set()),
    ],
)
def test_a_list_of_entity_tags_gives_its_strong_tags(header: str, tags: set[str]) -> None:
    assert parse_if_match(header) == IfMatch(frozenset(tags))


@pytest.mark.parametrize("header", ["*", " * ", "\t*"])
def test_a_star_matches_any_version(header: str) -> None:
    condition = parse_if_match(header)

    assert condition == IfMatch()
    hold(condition, "42", record="INC0000001")


def test_no_header_is_no_condition() -> None:
    assert parse_if_match(None) is None
    hold(None, "42", record="INC0000001")


@pytest.mark.parametrize(
    "header",
    [
        "3",  # a version without its quotes
        "stale",
        'w/"3"',  # W/ is case-sensitive
        '"3" "4"',  # two tags need a comma
        '"3',  # unterminated
        '*, "3"',  # * stands alone
        '"a"b',
        '"tab\there"',  # not an etagc
        '"quote"inside"',
    ],
)
def test_anything_else_is_refused_naming_the_header(header: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_if_match(header)

    assert refused.value.field == "If-Match"
    assert refused.value.status == 400
    assert 'e.g. If-Match: "3"' in refused.value.message


@pytest.mark.parametrize(("header", "current"), [('"3"', "3"), ('"2", "3"', "3"), ("*", "3"), ('W/"2", "3"', "3")])
def test_the_condition_holds_when_a_strong_tag_equals_the_current_one(header: str, current: str) -> None:
    hold(parse_if_match(header), current, record="INC0000001")


@pytest.mark.parametrize(
    ("header", "current"),
    [
        ('"2"', "3"),
        ('W/"3"', "3"),  # strong comparison: a weak tag never matches, even the same value
        ('"stale-0"', "3"),
        ('"03"', "3"),  # character by character
        ('"1", "2"', "3"),
        ("", "3"),  # an empty list names no version
    ],
)
def test_otherwise_the_change_is_refused_with_the_current_tag(header: str, current: str) -> None:
    with pytest.raises(StaleVersion) as refused:
        hold(parse_if_match(header), current, record="INC0000001")

    assert refused.value.status == 412
    assert refused.value.field == "If-Match"
    assert refused.value.message == (
        'INC0000001 has changed since you read it: its ETag is now "3". GET it again, re-apply your change '
        'to what it holds now, and send If-Match: "3".'
    )


def test_a_forms_version_is_a_condition_on_that_version() -> None:
    hold(IfMatch.version(7), "7", record="INC0000001")
    with pytest.raises(StaleVersion):
        hold(IfMatch.version(7), "8", record="INC0000001")
