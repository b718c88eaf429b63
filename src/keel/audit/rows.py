"""The hand-written writes of the audit trail (DESIGN §4.8): every action writes audit rows, so
they are inserted as one JSON parameter, not through ``bulk_create`` (composing it was a third of
the audit's cost on an incident create; bench/README.md)."""

from collections.abc import Mapping, Sequence
from itertools import batched
from typing import Any, Final

from keel.audit.models import AuditRecord
from keel.lib.sql import insert_values

# A CSV import audits thousands of records at once: one statement per this many rows keeps the
# JSON parameter, and the memory it takes, small.
BATCH: Final = 2000


def insert_records(rows: Sequence[Mapping[str, Any]]) -> None:
    """Audit rows given as {field: value}; fields left out get their defaults."""
    for batch in batched(rows, BATCH):
        insert_values(AuditRecord, batch)
