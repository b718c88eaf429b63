"""The CMDB's CSV files: their columns, reading and checking their rows, and writing them out.

An import (``actions.transfer``) reads the file once, a batch of rows at a time: each row is checked
here and reported with its line number, and nothing is written when any row is bad. Memory stays
flat: one batch of rows, the small type and team tables, and (for CIs) the set of names seen.
"""

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

from django.db.models import Field

from keel.accounts.models import Team
from keel.cmdb.kinds import FIELD_OF_NAME, CIStatus, Criticality, Environment, RelationshipKind
from keel.cmdb.models import CIType, ConfigurationItem, Relationship
from keel.cmdb.text import aliases_from_text, attributes_from_text
from keel.lib.csv import csv_line, read_cell
from keel.lib.errors import InvalidInput
from keel.lib.text import problem_in

BATCH: Final = 2_000
MAX_REPORTED: Final = 100

# The columns of a CI file, in the order an export writes them; each is a CI field, named as the
# API names it. Held to the model by ``test_csv_columns_follow_the_model``.
CI_COLUMNS: Final = (
    "name",
    "type",
    "status",
    "environment",
    "criticality",
    "owner_team",
    "support_group",
    "location",
    "aliases",
    "attributes",
    "description",
)
CI_REQUIRED: Final = frozenset({"name", "type"})
RELATIONSHIP_COLUMNS: Final = ("source", "kind", "target")
_TEAM_COLUMNS: Final = frozenset({"owner_team", "support_group"})


def ci_field(column: str) -> Field[Any, Any]:
    """The CI field a column of the file holds."""
    return cast(Field[Any, Any], ConfigurationItem._meta.get_field(FIELD_OF_NAME.get(column, column)))


# Column → the attribute its value is stored in (``ci_type_id`` for ``type``), and back.
_ATTNAME: Final = {column: ci_field(column).attname for column in CI_COLUMNS}
_COLUMN: Final = {attname: column for column, attname in _ATTNAME.items()}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def add_error(self, line: int, field: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(RowError(line, field, message))

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


class ImportRejected(InvalidInput):
    """The file has bad rows; nothing was written. ``result.errors`` lists them with line numbers."""

    def __init__(self, what: str, result: ImportResult) -> None:
        first = result.errors[0]
        shown = f" (the first {len(result.errors)} are listed)" if result.error_count > len(result.errors) else ""
        super().__init__(
            f"Nothing was imported: {result.error_count} bad {what} row(s){shown}. Line {first.line}: {first.message}",
            field=first.field,
            details={"errors": [error.as_dict() for error in result.errors], "error_count": result.error_count},
        )
        self.result = result


Numbered = tuple[int, dict[str, str | None]]  # a row with the file line it ends on


# --- configuration items --------------------------------------------------------------------


class CIRowParser:
    """Checks the rows of a CI file against the header it came with and the stored types and teams."""

    def __init__(self, header: Sequence[str]) -> None:
        self.header = header
        self.types = {ci_type.pk: ci_type for ci_type in CIType.objects.all()}
        self.teams = {team.pk: team for team in Team.objects.all()}
        self._type_ids = {ci_type.slug: pk for pk, ci_type in self.types.items()}
        self._team_ids = {team.slug: pk for pk, team in self.teams.items()}
        self._seen: set[str] = set()  # the names of the file so far: a CI is given once

    def rows(self, batch: Sequence[Numbered], result: ImportResult) -> list[tuple[str, dict[str, Any]]]:
        """The good rows of a batch as (name, {attribute: value}); the bad ones are added to ``result``."""
        rows = []
        for line, raw in batch:
            parsed = self._parse(line, raw, result)
            if parsed is None:
                continue
            if parsed[0] in self._seen:
                result.add_error(line, "name", f"{parsed[0]!r} appears twice in the file; give each CI once.")
                continue
            self._seen.add(parsed[0])
            rows.append(parsed)
        return rows

    def _parse(self, line: int, raw: dict[str, str | None], result: ImportResult) -> tuple[str, dict[str, Any]] | None:
        """(name, {attribute: value}) of a good row; a bad one is added to ``result`` and gives None."""
        values: dict[str, Any] = {}
        try:
            if None in raw:
                raise _Bad(None, f"the row has more values than the header's {len(self.header)} columns")
            name = " ".join((raw.get("name") or "").split())
            if not name or len(name) > 200:
                raise _Bad("name", "give a name of 1 to 200 characters")
            for column in self.header:
                if column != "name":
                    values[_ATTNAME[column]] = self._value(column, (raw.get(column) or "").strip())
        except _Bad as bad:
            result.add_error(line, bad.field, bad.message)
            return None
        return name, values

    def audited(self, attname: str, old: Any, new: Any) -> tuple[str, Any, Any]:
        """(field, old, new) of a changed value as the audit trail shows it: a type or team as the record."""
        column = _COLUMN[attname]
        if column == "type":
            return column, self.types[old], self.types[new]
        if column in _TEAM_COLUMNS:
            return column, self.teams.get(old), self.teams.get(new)
        return column, old, new

    def _value(self, column: str, text: str) -> Any:  # noqa: PLR0911 — one return per column kind reads best
        if column == "type":
            return self._lookup(self._type_ids, column, text, "a CI type slug such as 'server'")
        if column in _TEAM_COLUMNS:
            return self._lookup(self._team_ids, column, text, "a team slug") if text else None
        if column == "status":
            return _choice(column, text or CIStatus.IN_SERVICE, CIStatus.values)
        if column == "environment":
            return _choice(column, text or Environment.PRODUCTION, Environment.values)
        if column == "criticality":
            return int(_choice(column, text or "3", [str(value) for value in Criticality.values]))
        if column == "aliases":
            return aliases_from_text(text)
        if column == "attributes":
            return _json_object(text)
        return text

    @staticmethod
    def _lookup(table: dict[str, int], column: str, text: str, give: str) -> int:
        if text not in table:
            raise _Bad(column, f"no {column.replace('_', ' ')} {text!r}; give {give}")
        return table[text]


def export_cis() -> Iterator[str]:
    """The CMDB's CIs as CSV lines (header first), read in chunks so memory stays flat."""
    types = dict(CIType.objects.values_list("pk", "slug"))
    teams = dict(Team.objects.values_list("pk", "slug"))
    written: dict[str, Callable[[Any], Any]] = {
        "type": types.__getitem__,
        "owner_team": lambda pk: teams.get(pk, ""),
        "support_group": lambda pk: teams.get(pk, ""),
        "aliases": ";".join,
        "attributes": lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True) if value else "",
    }
    yield csv_line(CI_COLUMNS)
    rows = ConfigurationItem.objects.order_by("pk").values_list(*(_ATTNAME[column] for column in CI_COLUMNS))
    as_text = [written.get(column, _same) for column in CI_COLUMNS]
    for row in rows.iterator(chunk_size=BATCH):
        yield csv_line([text(value) for text, value in zip(as_text, row, strict=True)])


def _same(value: Any) -> Any:
    return value


# --- relationships --------------------------------------------------------------------------


# The good rows of a batch of relationships as (source id, target id, kind), and the CIs' names by id.
RelationshipRows = tuple[list[tuple[int, int, str]], dict[int, str]]


def relationship_rows(batch: Sequence[Numbered], result: ImportResult) -> RelationshipRows:
    """The good rows of a batch as (source id, target id, kind), and the names of the CIs they
    name, by id; the bad ones are added to ``result``."""
    names = {(raw.get(column) or "").strip() for _, raw in batch for column in ("source", "target")}
    ids = dict(ConfigurationItem.objects.filter(name__in=names).order_by().values_list("name", "pk"))
    rows = []
    for line, raw in batch:
        source, kind, target = ((raw.get(column) or "").strip() for column in RELATIONSHIP_COLUMNS)
        if None in raw:
            result.add_error(line, None, "the row has more than 3 values (source,kind,target)")
        elif kind not in RelationshipKind.values:
            result.add_error(line, "kind", f"kind must be one of {', '.join(RelationshipKind.values)} (got {kind!r})")
        elif source not in ids:
            result.add_error(line, "source", f"no CI named {source!r}; import it first or fix the name")
        elif target not in ids:
            result.add_error(line, "target", f"no CI named {target!r}; import it first or fix the name")
        elif source == target:
            result.add_error(line, "target", f"{source} cannot be related to itself")
        else:
            rows.append((ids[source], ids[target], kind))
    return rows, {pk: name for name, pk in ids.items()}


def export_relationships() -> Iterator[str]:
    """Every relationship as ``source,kind,target`` CSV lines by CI name, streamed."""
    yield csv_line(RELATIONSHIP_COLUMNS)
    rows = Relationship.objects.order_by("pk").values_list("source__name", "kind", "target__name")
    for row in rows.iterator(chunk_size=BATCH):
        yield csv_line(row)


# --- shared ---------------------------------------------------------------------------------

# What each entry point (API, console, CLI) offers, by the name it takes: 'cis' or 'relationships'.
EXPORTERS: Final[Mapping[str, Callable[[], Iterator[str]]]] = {
    "cis": export_cis,
    "relationships": export_relationships,
}


def utf8_lines(raw_lines: Iterable[bytes]) -> Iterator[str]:
    """Lines of an uploaded file or a request body as text, one at a time (a leading BOM dropped).

    Never read whole: a 100k-CI file is past Django's in-memory body limit, and memory stays flat.
    """
    for number, raw in enumerate(raw_lines):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInput(f"Line {number + 1} is not UTF-8 text; save the CSV as UTF-8.", field="file") from error
        yield line.removeprefix("\ufeff") if number == 0 else line


class _Bad(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def read_header(reader: "csv.DictReader[str]", *, allowed: Sequence[str], required: frozenset[str]) -> list[str]:
    """The file's columns, refused unless each is known, given once, and the required ones are there."""
    header = [column.strip() for column in (reader.fieldnames or [])]
    unknown = [column for column in header if column not in allowed]
    missing = sorted(required - set(header))
    if not header or unknown or missing or len(set(header)) != len(header):
        raise InvalidInput(
            f"Line 1 must be the header: columns {', '.join(allowed)} "
            f"({', '.join(sorted(required))} required, each once; got {', '.join(header) or 'nothing'}).",
            field="file",
            details={"errors": [{"line": 1, "field": "file", "message": "bad header"}], "error_count": 1},
        )
    reader.fieldnames = header
    return header


def numbered(reader: "csv.DictReader[str]") -> Iterator[Numbered]:
    """Rows with the file line they end on (a quoted value may span lines), each cell as the export
    wrote it (``lib.csv.read_cell``: a name like ``=HYPERLINK(…)`` is exported ``'=HYPERLINK(…)``); a
    row holding text the database cannot store (a NUL) rejects the file, naming the line and the column."""
    try:
        for raw in reader:
            _refuse_unstorable(reader.line_num, raw)
            yield reader.line_num, {column: _cell(value) for column, value in raw.items()}
    except csv.Error as error:
        raise InvalidInput(f"Line {reader.line_num}: the CSV is malformed ({error}).", field="file") from error


def _refuse_unstorable(line: int, row: Mapping[str, Any]) -> None:
    for column, value in row.items():
        problem = problem_in(value) if isinstance(value, str) else None
        if problem is not None:
            message = f"Line {line}: {column} {problem}."
            raise InvalidInput(
                f"Nothing was imported: {message}",
                field=column,
                details={"errors": [{"line": line, "field": column, "message": message}], "error_count": 1},
            )


def _cell(value: str | None) -> str | None:
    # Past the header's columns, DictReader puts the extra values in a list under None.
    return read_cell(value) if isinstance(value, str) else value


def _choice(column: str, text: str, allowed: Sequence[str]) -> str:
    if text not in allowed:
        raise _Bad(column, f"{column} must be one of {', '.join(allowed)} (got {text!r})")
    return text


def _json_object(text: str) -> dict[str, Any]:
    value = attributes_from_text(text)
    if value is None:
        raise _Bad("attributes", 'attributes must be a JSON object, e.g. {"os": "Debian 13"}')
    return value
