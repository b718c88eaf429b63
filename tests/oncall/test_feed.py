"""The iCalendar writer: text escaped, long lines folded at 75 octets, never inside a character."""

from datetime import UTC, datetime

from keel.oncall.feed import Event, calendar, escape, fold


def test_long_lines_fold_at_75_octets_without_splitting_a_character() -> None:
    line = "SUMMARY:" + "é" * 100

    folded = fold(line)

    parts = folded.split(b"\r\n")
    assert all(len(part) <= 75 for part in parts)
    assert all(part.startswith(b" ") for part in parts[1:])
    assert b"".join(part.removeprefix(b" ") for part in parts).decode() == line


def test_text_is_escaped_and_times_are_utc() -> None:
    stamp = datetime(2026, 3, 1, tzinfo=UTC)

    body = calendar("On call; Ann", [Event("x@keel", 1774684800, 1774767600, "Primary, tier 1", "a\nb")], stamp=stamp)

    assert escape("a,b;c\\d") == "a\\,b\\;c\\\\d"
    assert b"X-WR-CALNAME:On call\\; Ann\r\n" in body
    assert b"DTSTART:20260328T080000Z\r\nDTEND:20260329T070000Z\r\n" in body
    assert b"SUMMARY:Primary\\, tier 1\r\nDESCRIPTION:a\\nb\r\n" in body
