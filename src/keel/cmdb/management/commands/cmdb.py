"""``keel cmdb import cis|relationships FILE`` and ``keel cmdb export cis|relationships [FILE]``.

Imports run as Keel itself (an operator at the console); '-' reads standard input or writes standard output.
"""

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from keel.cmdb.actions.transfer import IMPORTERS
from keel.cmdb.transfer import EXPORTERS, ImportRejected
from keel.lib.errors import KeelError


class Command(BaseCommand):
    help = "Import or export the CMDB's CIs and relationships as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        load = verbs.add_parser("import", help="Create or update from a CSV file; all rows or none.")
        load.add_argument("what", choices=sorted(IMPORTERS))
        load.add_argument("file", help="CSV file, or - for standard input")
        dump = verbs.add_parser("export", help="Write CSV (the format import reads).")
        dump.add_argument("what", choices=sorted(EXPORTERS))
        dump.add_argument("file", nargs="?", default="-", help="where to write; - (default) for standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "import":
            self._import(options["what"], options["file"])
        else:
            self._export(options["what"], options["file"])

    def _import(self, what: str, path: str) -> None:
        try:
            with _reading(path) as lines:
                result = IMPORTERS[what](lines, actor=None)
        except ImportRejected as rejected:
            for error in rejected.result.errors:
                self.stderr.write(f"line {error.line}: {error.field or '-'}: {error.message}")
            raise CommandError(rejected.message) from rejected
        except KeelError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Imported {what}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged."
        )

    def _export(self, what: str, path: str) -> None:
        if path == "-":
            for line in EXPORTERS[what]():
                self.stdout.write(line, ending="")
            return
        try:
            with Path(path).open("w", encoding="utf-8", newline="") as out:
                out.writelines(EXPORTERS[what]())
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from error


@contextmanager
def _reading(path: str) -> Iterator[Iterable[str]]:
    """The lines of a file, or of standard input for '-'."""
    if path == "-":
        yield sys.stdin
        return
    try:
        handle = Path(path).open(encoding="utf-8", newline="")  # noqa: SIM115 — closed by the with below
    except OSError as error:
        raise CommandError(f"Cannot open {path}: {error.strerror}.") from error
    with handle:
        yield handle
