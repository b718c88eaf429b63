"""Every CSV file Keel writes (the CMDB's exports, the hotspot report, the audit trail, and any
future one), and the cells of the files it reads back.

A spreadsheet takes a cell that starts with ``=``, ``+``, ``-`` or ``@`` for a formula, and some
drop a leading tab or carriage return first: a CI named ``=HYPERLINK(…)`` would run in the
spreadsheet of whoever opens the export. As OWASP advises ("CSV injection"), such a text cell is
written with a leading ``'``, which spreadsheets read as "this is text". Numbers are written as
numbers (a negative one is not a formula).

``read_cell`` undoes exactly what ``safe_cell`` did, so a file Keel exported imports back unchanged:
a text that, past its leading quotes, starts like a formula gets one more quote on the way out and
loses one on the way in (``'=x`` is written ``''=x``); any other text is left as it is.
"""

import csv
from collections.abc import Iterable, Iterator
from typing import Any, Final

from django.http import StreamingHttpResponse

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK: Final = "'"
CONTENT_TYPE: Final = "text/csv; charset=utf-8"


def _looks_like_formula(text: str) -> bool:
    return text.lstrip(TEXT_MARK).startswith(FORMULA_STARTS)


def safe_cell(value: Any) -> Any:
    """The value as a CSV cell a spreadsheet will not run: text that could start a formula gets a leading '."""
    if isinstance(value, str) and _looks_like_formula(value):
        return TEXT_MARK + value
    return value


def read_cell(text: str) -> str:
    """A cell of an imported file as Keel exported it: the ' that ``safe_cell`` added taken off."""
    if text.startswith(TEXT_MARK) and _looks_like_formula(text):
        return text[1:]
    return text


class _Line:
    """A file-like sink for csv.writer that hands back what was written."""

    def write(self, text: str) -> str:
        return text


_WRITER: Final = csv.writer(_Line(), lineterminator="\n")


def csv_line(values: Iterable[Any]) -> str:
    """One CSV line (with its newline) of safe cells."""
    return str(_WRITER.writerow([safe_cell(value) for value in values]))


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """A whole file, header first, one line at a time."""
    yield csv_line(header)
    for row in rows:
        yield csv_line(row)


def csv_response(lines: Iterable[str], *, filename: str) -> StreamingHttpResponse:
    """A CSV download streamed line by line, so an export of any size keeps memory flat."""
    response = StreamingHttpResponse(lines, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
