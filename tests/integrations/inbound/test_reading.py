"""The JSON-reading helpers every parser shares: timestamps, links, and how refusals show what they found."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keel.integrations.inbound.parsed import Link, MalformedPayload
from keel.integrations.inbound.reading import (
    MISSING,
    got,
    http_link,
    parse_timestamp,
    received_utc,
    scalar_text,
    text_map,
    timestamp,
)
from tests.integrations.inbound.captured import utc


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-11-27T14:07:03Z", "2026-11-27T14:07:03+00:00"),
        ("2026-11-27t14:07:03z", "2026-11-27T14:07:03+00:00"),
        ("2026-11-27 14:07:03Z", "2026-11-27T14:07:03+00:00"),
        ("2026-11-27T14:08:30.221623292Z", "2026-11-27T14:08:30.221623+00:00"),
        ("2026-11-27T14:07:03.2Z", "2026-11-27T14:07:03.200000+00:00"),
        ("2026-11-27T14:07:03,5Z", "2026-11-27T14:07:03.500000+00:00"),
        ("2015-07-17T08:42:58.315+0000", "2015-07-17T08:42:58.315000+00:00"),
        ("2026-11-27T09:37:03-04:30", "2026-11-27T14:07:03+00:00"),
        ("2026-11-28T00:07:03+10:00", "2026-11-27T14:07:03+00:00"),
        (" 2026-11-27T14:07:03Z ", "2026-11-27T14:07:03+00:00"),
    ],
)
def test_rfc_3339_times_are_read_in_utc(text, moment):
    assert parse_timestamp(text) == datetime.fromisoformat(moment)
    assert parse_timestamp(text).tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-27T14:07:03",  # no zone: whose 14:07?
        "2026-11-27",
        "2026-11-27T14:07Z",
        "20261127T140703Z",
        "2026-02-30T14:07:03Z",
        "2026-11-27T24:00:00Z",
        "2026-11-27T14:07:60Z",  # Go refuses leap seconds too
        "2026-11-27T14:07:03+24:00",
        "0001-01-01T00:30:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:30:00-01:00",  # after year 9999 in UTC
        "٢٠٢٦-11-27T14:07:03Z",  # digits, but not ASCII ones
        "",
    ],
)
def test_anything_else_is_not_a_time(text):
    assert parse_timestamp(text) is None


def test_gos_zero_time_means_none_and_other_values_are_refused():
    assert timestamp("0001-01-01T00:00:00Z", "endsAt") is None

    with pytest.raises(MalformedPayload) as refused:
        timestamp(0, "alerts[0].endsAt")

    assert refused.value.message == (
        "alerts[0].endsAt must be an RFC 3339 date and time with a time zone, such as 2026-11-27T14:07:03Z "
        "(got the number 0)"
    )
    assert refused.value.field == "alerts[0].endsAt"


@given(
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
)
def test_any_instant_written_in_any_offset_reads_back_as_itself(moment, offset_minutes):
    local = moment.astimezone(timezone(timedelta(minutes=offset_minutes)))

    assert parse_timestamp(local.isoformat()) == moment


@pytest.mark.parametrize(
    ("href", "link"),
    [
        ("https://grafana.example/d/abc", Link(href="https://grafana.example/d/abc", text="t")),
        (" HTTP://prometheus:9090/graph ", Link(href="HTTP://prometheus:9090/graph", text="t")),
        ("javascript:alert(1)", None),
        ("/graph?g0.expr=up", None),
        ("https://", None),
        ("http://[::1", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_only_absolute_http_urls_become_links(href, link):
    assert http_link(href, "t") == link


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (MISSING, "(got nothing)"),
        (None, "(got null)"),
        (True, "(got true)"),
        (False, "(got false)"),
        (4, "(got the number 4)"),
        (0.5, "(got the number 0.5)"),
        ("urgent", "(got 'urgent')"),
        ("x" * 50, "(got '" + "x" * 40 + "…')"),
        ({"a": 1}, "(got an object)"),
        ([1], "(got a list)"),
    ],
)
def test_a_refusal_shows_what_it_found(value, shown):
    assert got(value) == shown


@pytest.mark.parametrize(
    ("value", "text"), [("a", "a"), (3, "3"), (2.5, "2.5"), (True, "true"), (None, None), ([], None), ({}, None)]
)
def test_scalars_read_as_text(value, text):
    assert scalar_text(value) == text


def test_a_text_map_refuses_a_value_that_is_not_text():
    with pytest.raises(MalformedPayload) as refused:
        text_map({"a": "1", "b": ["2"]}, "alerts[1].labels", what="label name → text")

    assert refused.value.message == "alerts[1].labels.b must be text (got a list)"


def test_received_at_is_taken_in_utc_and_must_be_aware():
    assert received_utc(datetime(2026, 11, 27, 15, 0, tzinfo=timezone(timedelta(hours=1)))) == utc("2026-11-27T14:00Z")

    with pytest.raises(ValueError, match="aware"):
        received_utc(datetime(2026, 11, 27, 15, 0))
