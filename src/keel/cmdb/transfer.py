"""CSV import and export of CIs and relationships: streamed, batched, idempotent, all or nothing.

An import reads the file once, a batch of rows at a time, validating each row and writing each batch
inside one transaction. Any bad row is reported with its line number and the transaction is rolled
back at the end, so nothing partial is written. A row equal to what is stored writes nothing, so
re-importing the same file changes nothing. Memory stays flat: one batch of rows, the small type and
team tables, and (for CIs) the set of names seen, to catch a name given twice.
"""

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import batched
from typing import Any, Final

from django.db import connection, transaction

from keel.accounts.models import Team, User
from keel.cmdb.actions import check_may_manage
from keel.cmdb.kinds import CIStatus, Criticality, Environment, RelationshipKind, ends
from keel.cmdb.models import CIType, ConfigurationItem, Relationship
from keel.cmdb.names import sync_names
from keel.lib.errors import InvalidInput

BATCH: Final = 2_000
MAX_REPORTED: Final = 100
ANALYZE_AFTER: Final = 10_000

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
# Column → model field, for the columns stored as they are read.
_CI_FIELD: Final = {
    "type": "ci_type_id",
    "status": "status",
    "environment": "environment",
    "criticality": "criticality",
    "owner_team": "owner_team_id",
    "support_group": "support_group_id",
    "location": "location",
    "aliases": "aliases",
    "attributes": "attributes",
    "description": "description",
}
_CI_DEFAULTS: Final[dict[str, Any]] = {
    "status": CIStatus.IN_SERVICE.value,
    "environment": Environment.PRODUCTION.value,
    "criticality": Criticality.MEDIUM.value,
    "owner_team_id": None,
    "support_group_id": None,
    "location": "",
    "aliases": [],
    "attributes": {},
    "description": "",
}


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


# --- configuration items --------------------------------------------------------------------


def import_cis(lines: Iterable[str], *, actor: User | None) -> ImportResult:
    """Create or update the CIs of a CSV file (by name). All rows or none; unchanged rows are not written."""
    check_may_manage(actor)
    reader = csv.DictReader(iter(lines))
    header = _check_header(reader, allowed=CI_COLUMNS, required=CI_REQUIRED)
    parser = _CIRowParser(header)
    result = ImportResult()
    seen: set[str] = set()
    with transaction.atomic():
        for batch in batched(_numbered(reader), BATCH):
            rows = []
            for line, raw in batch:
                parsed = parser.parse(line, raw, result)
                if parsed is None:
                    continue
                if parsed[0] in seen:
                    result.add_error(line, "name", f"{parsed[0]!r} appears twice in the file; give each CI once.")
                    continue
                seen.add(parsed[0])
                rows.append(parsed)
            if not result.error_count:
                _upsert_cis(rows, header, result)
        if result.error_count:
            raise ImportRejected("CI", result)
    _refresh_statistics(ConfigurationItem, result)
    return result


class _CIRowParser:
    def __init__(self, header: Sequence[str]) -> None:
        self.header = header
        self.types = dict(CIType.objects.values_list("slug", "pk"))
        self.teams = dict(Team.objects.values_list("slug", "pk"))

    def parse(self, line: int, raw: dict[str, str | None], result: ImportResult) -> tuple[str, dict[str, Any]] | None:
        values: dict[str, Any] = {}
        try:
            if None in raw:
                raise _Bad(None, f"the row has more values than the header's {len(self.header)} columns")
            name = " ".join((raw.get("name") or "").split())
            if not name or len(name) > 200:
                raise _Bad("name", "give a name of 1 to 200 characters")
            for column in self.header:
                if column != "name":
                    values[_CI_FIELD[column]] = self._value(column, (raw.get(column) or "").strip())
        except _Bad as bad:
            result.add_error(line, bad.field, bad.message)
            return None
        return name, values

    def _value(self, column: str, text: str) -> Any:  # noqa: PLR0911 — one return per column kind reads best
        if column == "type":
            return self._lookup(self.types, column, text, "a CI type slug such as 'server'")
        if column in {"owner_team", "support_group"}:
            return self._lookup(self.teams, column, text, "a team slug") if text else None
        if column == "status":
            return _choice(column, text or CIStatus.IN_SERVICE, CIStatus.values)
        if column == "environment":
            return _choice(column, text or Environment.PRODUCTION, Environment.values)
        if column == "criticality":
            return int(_choice(column, text or "3", [str(value) for value in Criticality.values]))
        if column == "aliases":
            return [alias.strip() for alias in text.split(";") if alias.strip()]
        if column == "attributes":
            return _json_object(text)
        return text

    @staticmethod
    def _lookup(table: dict[str, int], column: str, text: str, give: str) -> int:
        if text not in table:
            raise _Bad(column, f"no {column.replace('_', ' ')} {text!r}; give {give}")
        return table[text]


def _upsert_cis(rows: Sequence[tuple[str, dict[str, Any]]], header: Sequence[str], result: ImportResult) -> None:
    existing = {ci.name: ci for ci in ConfigurationItem.objects.filter(name__in=[name for name, _ in rows]).order_by()}
    new, changed, touched = [], [], set()
    for name, values in rows:
        ci = existing.get(name)
        if ci is None:
            new.append(ConfigurationItem(name=name, **{**_CI_DEFAULTS, **values}))
            continue
        differs = [column for column, value in values.items() if getattr(ci, column) != value]
        for column in differs:
            setattr(ci, column, values[column])
        if differs:
            changed.append(ci)
            touched.update(differs)
        else:
            result.unchanged += 1
    ConfigurationItem.objects.bulk_create(new, batch_size=500)
    if changed:
        ConfigurationItem.objects.bulk_update(changed, sorted(touched), batch_size=500)
    renamed = [ci for ci in changed if {"name", "aliases"} & touched]
    sync_names([*new, *renamed])
    result.created += len(new)
    result.updated += len(changed)


def export_cis() -> Iterator[str]:
    """The CMDB's CIs as CSV lines (header first), read in chunks so memory stays flat."""
    types = dict(CIType.objects.values_list("pk", "slug"))
    teams = dict(Team.objects.values_list("pk", "slug"))
    yield _csv_line(CI_COLUMNS)
    rows = ConfigurationItem.objects.order_by("pk").values_list(
        "name",
        "ci_type_id",
        "status",
        "environment",
        "criticality",
        "owner_team_id",
        "support_group_id",
        "location",
        "aliases",
        "attributes",
        "description",
    )
    for (
        name,
        type_id,
        status,
        environment,
        criticality,
        owner,
        support,
        location,
        aliases,
        attributes,
        text,
    ) in rows.iterator(chunk_size=BATCH):
        yield _csv_line(
            (
                name,
                types[type_id],
                status,
                environment,
                str(criticality),
                teams.get(owner, ""),
                teams.get(support, ""),
                location,
                ";".join(aliases),
                json.dumps(attributes, ensure_ascii=False, sort_keys=True) if attributes else "",
                text,
            )
        )


# --- relationships --------------------------------------------------------------------------


def import_relationships(lines: Iterable[str], *, actor: User | None) -> ImportResult:
    """Add the relationships of a CSV file (source,kind,target by CI name). Existing ones are left as they are."""
    check_may_manage(actor)
    reader = csv.DictReader(iter(lines))
    _check_header(reader, allowed=RELATIONSHIP_COLUMNS, required=frozenset(RELATIONSHIP_COLUMNS))
    result = ImportResult()
    with transaction.atomic():
        for batch in batched(_numbered(reader), BATCH):
            rows = _relationship_rows(batch, result)
            if not result.error_count:
                _insert_relationships(rows, result)
        if result.error_count:
            raise ImportRejected("relationship", result)
    _refresh_statistics(Relationship, result)
    return result


def _relationship_rows(
    batch: Sequence[tuple[int, dict[str, str | None]]], result: ImportResult
) -> list[tuple[int, int, str]]:
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
    return rows


def _insert_relationships(rows: Sequence[tuple[int, int, str]], result: ImportResult) -> None:
    wanted = set(rows)
    stored = set(
        Relationship.objects.filter(
            source_id__in={source for source, _, _ in wanted}, target_id__in={target for _, target, _ in wanted}
        )
        .order_by()
        .values_list("source_id", "target_id", "kind")
    )
    new = wanted - stored
    Relationship.objects.bulk_create(
        (
            Relationship(source_id=source, target_id=target, kind=kind, needer_id=needer, needed_id=needed)
            for source, target, kind in sorted(new)
            for needer, needed in [ends(source, target, kind)]
        ),
        batch_size=500,
    )
    result.created += len(new)
    result.unchanged += len(rows) - len(new)


def export_relationships() -> Iterator[str]:
    """Every relationship as ``source,kind,target`` CSV lines by CI name, streamed."""
    yield _csv_line(RELATIONSHIP_COLUMNS)
    rows = Relationship.objects.order_by("pk").values_list("source__name", "kind", "target__name")
    for row in rows.iterator(chunk_size=BATCH):
        yield _csv_line(row)


# --- shared ---------------------------------------------------------------------------------

type Importer = Callable[..., ImportResult]  # (lines, *, actor) -> ImportResult

# What each entry point (API, console, CLI) offers, by the name it takes: 'cis' or 'relationships'.
IMPORTERS: Final[Mapping[str, Importer]] = {"cis": import_cis, "relationships": import_relationships}
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


def _refresh_statistics(model: type[ConfigurationItem] | type[Relationship], result: ImportResult) -> None:
    """After a large import, let PostgreSQL's planner know the table's new size now, not at autovacuum's
    next pass: with stale statistics it walked the graph with sequential scans (SQLite needs no help)."""
    if connection.vendor == "postgresql" and result.created + result.updated >= ANALYZE_AFTER:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {model._meta.db_table}")


class _Bad(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _check_header(reader: "csv.DictReader[str]", *, allowed: Sequence[str], required: frozenset[str]) -> list[str]:
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


def _numbered(reader: "csv.DictReader[str]") -> Iterator[tuple[int, dict[str, str | None]]]:
    """Rows with the file line they end on (a quoted value may span lines)."""
    try:
        for raw in reader:
            yield reader.line_num, raw
    except csv.Error as error:
        raise InvalidInput(f"Line {reader.line_num}: the CSV is malformed ({error}).", field="file") from error


def _choice(column: str, text: str, allowed: Sequence[str]) -> str:
    if text not in allowed:
        raise _Bad(column, f"{column} must be one of {', '.join(allowed)} (got {text!r})")
    return text


def _json_object(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise _Bad("attributes", 'attributes must be a JSON object, e.g. {"os": "Debian 13"}')
    return value


class _Line:
    """A file-like sink for csv.writer that hands back what was written."""

    def write(self, text: str) -> str:
        return text


_WRITER: Final = csv.writer(_Line(), lineterminator="\n")


def _csv_line(values: Sequence[Any]) -> str:
    return str(_WRITER.writerow(values))
