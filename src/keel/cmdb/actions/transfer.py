"""The CSV import's writes: CIs created or updated by name, relationships added; all rows or none.

Each batch of rows (``transfer``) is written inside the one transaction of the import, with one
statement per kind of row, its audit rows among them: a created CI gets ``created``, an updated
one a row per changed field (old → new), an added relationship the ``relationship`` row of its
source, as the console's own writes do. A row equal to what is stored writes nothing, so
re-importing the same file changes nothing and audits nothing.
"""

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from itertools import batched
from typing import Any, Final

from django.db import transaction
from django.db.models import F

from keel.accounts.models import User
from keel.audit.actions import SubjectChange, record_changes_of_many
from keel.cmdb.actions._common import check_may_manage
from keel.cmdb.actions.names import sync_names
from keel.cmdb.actions.relationships import relationship_text
from keel.cmdb.kinds import ends
from keel.cmdb.models import ConfigurationItem, Relationship
from keel.cmdb.transfer import (
    BATCH,
    CI_COLUMNS,
    CI_REQUIRED,
    RELATIONSHIP_COLUMNS,
    CIRowParser,
    ImportRejected,
    ImportResult,
    Numbered,
    RelationshipRows,
    numbered,
    read_header,
    relationship_rows,
)
from keel.lib.database import postgres
from keel.lib.rows import analyze

ANALYZE_AFTER: Final = 10_000


def import_cis(lines: Iterable[str], *, actor: User | None) -> ImportResult:
    """Create or update the CIs of a CSV file (by name). All rows or none; unchanged rows are not written."""
    check_may_manage(actor)
    reader = csv.DictReader(iter(lines))
    parser = CIRowParser(read_header(reader, allowed=CI_COLUMNS, required=CI_REQUIRED))
    write = partial(_upsert_cis, parser=parser, actor=actor)
    return _imported(reader, what="CI", model=ConfigurationItem, check=parser.rows, write=write)


def _upsert_cis(
    rows: Sequence[tuple[str, dict[str, Any]]], result: ImportResult, *, parser: CIRowParser, actor: User | None
) -> None:
    existing = {ci.name: ci for ci in ConfigurationItem.objects.filter(name__in=[name for name, _ in rows]).order_by()}
    new, changed, touched, audit = [], [], set(), []
    for name, values in rows:
        ci = existing.get(name)
        if ci is None:
            new.append(ConfigurationItem(name=name, **values))
            continue
        differs = [attname for attname, value in values.items() if getattr(ci, attname) != value]
        for attname in differs:
            audit.append((ci.pk, *parser.audited(attname, getattr(ci, attname), values[attname])))
            setattr(ci, attname, values[attname])
        if differs:
            changed.append(ci)
            touched.update(differs)
        else:
            result.unchanged += 1
    ConfigurationItem.objects.bulk_create(new, batch_size=500)
    if changed:
        # Counted in the statement, not from the rows read: an API client's If-Match on a CI the
        # import changes must fail even if another write bumped it since this import read it.
        for ci in changed:
            ci.revision = F("revision") + 1
        ConfigurationItem.objects.bulk_update(changed, [*sorted(touched), "revision"], batch_size=500)
    renamed = [ci for ci in changed if {"name", "aliases"} & touched]
    sync_names([*new, *renamed])
    created: list[SubjectChange] = [(ci.pk, "created", "", ci.name) for ci in new]
    _audited([*created, *audit], actor=actor)
    result.created += len(new)
    result.updated += len(changed)


def import_relationships(lines: Iterable[str], *, actor: User | None) -> ImportResult:
    """Add the relationships of a CSV file (source,kind,target by CI name). Existing ones are left as they are."""
    check_may_manage(actor)
    reader = csv.DictReader(iter(lines))
    read_header(reader, allowed=RELATIONSHIP_COLUMNS, required=frozenset(RELATIONSHIP_COLUMNS))
    write = partial(_insert_relationships, actor=actor)
    return _imported(reader, what="relationship", model=Relationship, check=relationship_rows, write=write)


def _imported[T](
    reader: "csv.DictReader[str]",
    *,
    what: str,
    model: type[ConfigurationItem] | type[Relationship],
    check: Callable[[Sequence[Numbered], ImportResult], T],
    write: Callable[[T, ImportResult], None],
) -> ImportResult:
    """The file's rows a batch at a time, each batch checked and, while no row was bad, written; all in
    one transaction, refused whole (ImportRejected) when any row was bad."""
    result = ImportResult()
    with transaction.atomic():
        for batch in batched(numbered(reader), BATCH):
            checked = check(batch, result)
            if not result.error_count:
                write(checked, result)
        if result.error_count:
            raise ImportRejected(what, result)
    _refresh_statistics(model, result)
    return result


def _insert_relationships(checked: RelationshipRows, result: ImportResult, *, actor: User | None) -> None:
    rows, names = checked
    wanted = set(rows)
    stored = set(
        Relationship.objects.filter(
            source_id__in={source for source, _, _ in wanted}, target_id__in={target for _, target, _ in wanted}
        )
        .order_by()
        .values_list("source_id", "target_id", "kind")
    )
    new = sorted(wanted - stored)
    Relationship.objects.bulk_create(
        (
            Relationship(source_id=source, target_id=target, kind=kind, needer_id=needer, needed_id=needed)
            for source, target, kind in new
            for needer, needed in [ends(source, target, kind)]
        ),
        batch_size=500,
    )
    _audited(
        [(source, "relationship", "", relationship_text(kind, names[target])) for source, target, kind in new],
        actor=actor,
    )
    result.created += len(new)
    result.unchanged += len(rows) - len(new)


def _audited(changes: Sequence[SubjectChange], *, actor: User | None) -> None:
    """The batch's audit rows (each on its CI), a statement per BATCH of them: a batch of CIs that
    changed in every column has ten times as many, and one statement for all raised the peak memory."""
    for chunk in batched(changes, BATCH):
        record_changes_of_many(subject_type="ci", actor=actor, changes=chunk)


def _refresh_statistics(model: type[ConfigurationItem] | type[Relationship], result: ImportResult) -> None:
    """After a large import, let PostgreSQL's planner know the table's new size now, not at autovacuum's
    next pass: with stale statistics it walked the graph with sequential scans (SQLite needs no help)."""
    if postgres() and result.created + result.updated >= ANALYZE_AFTER:
        analyze(model._meta.db_table)


type Importer = Callable[..., ImportResult]  # (lines, *, actor) -> ImportResult

# What each entry point (API, console, CLI) offers, by the name it takes: 'cis' or 'relationships'.
IMPORTERS: Final[Mapping[str, Importer]] = {"cis": import_cis, "relationships": import_relationships}
