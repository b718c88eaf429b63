"""The one CSV writer: a text cell a spreadsheet would run as a formula is written as text, and a
file read back gives what was written."""

import csv
from io import StringIO

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keel.lib.csv import csv_line, read_cell, safe_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),  # already quoted by someone: one more, so reading gives it back
        ("web-01", "web-01"),
        ("it's fine", "it's fine"),
        ("'quoted'", "'quoted'"),
        ("", ""),
        (-2, -2),  # a number is not a formula
        (2.5, 2.5),
        (None, None),
    ],
)
def test_a_cell_that_would_start_a_formula_is_marked_as_text(value: object, written: object) -> None:
    assert safe_cell(value) == written


def test_a_line_is_quoted_as_csv_and_its_cells_are_safe() -> None:
    line = csv_line(["=cmd|' /C calc'!A0", "a,b", 3, -1, None])

    assert line == "'=cmd|' /C calc'!A0,\"a,b\",3,-1,\n"
    assert next(csv.reader(StringIO(line))) == ["'=cmd|' /C calc'!A0", "a,b", "3", "-1", ""]


@given(st.text())
def test_reading_a_cell_gives_back_what_was_written(text: str) -> None:
    assert read_cell(safe_cell(text)) == text


@given(st.text())
def test_what_is_written_never_starts_a_formula(text: str) -> None:
    assert not str(safe_cell(text)).startswith(("=", "+", "-", "@", "\t", "\r"))
