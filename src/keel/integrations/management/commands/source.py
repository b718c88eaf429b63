"""``keel source create|list|rotate|revoke``: monitoring sources from the command line, as Keel itself.

``create`` and ``rotate`` print the source's full inbound URL as their last line (the URL alone is
enough to send, as with Slack's or Grafana OnCall's integration URLs); for PagerDuty-style sources
the base URL and the routing key are the last two lines. The secret is shown this once.
"""

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.accounts.queries import team_by_reference
from keel.integrations.actions.sources import IssuedSecret, create_source, revoke_source, rotate_secret
from keel.integrations.inbound.generic.presets import PRESETS
from keel.integrations.queries.sources import get_source, source_rows
from keel.integrations.states import SourceKind
from keel.lib.errors import KeelError


class Command(BaseCommand):
    help = "Manage monitoring sources: create, list, rotate a secret, revoke."

    def add_arguments(self, parser: ArgumentParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        create = verbs.add_parser("create", help="Add a source; prints its inbound URL (shown once) last.")
        create.add_argument("name")
        create.add_argument("--kind", required=True, choices=SourceKind.values)
        create.add_argument("--description", default="")
        mapping = create.add_mutually_exclusive_group()
        mapping.add_argument("--mapping-file", help="generic: a JSON file with the field mapping")
        mapping.add_argument("--preset", choices=sorted(PRESETS), help="generic: start from this field mapping")
        create.add_argument("--group", help="slug of the team that gets the incidents its alerts open")
        create.add_argument("--identity-labels", default="", help="e.g. alertname,instance")
        create.add_argument("--expire-after", type=int, default=0, help="seconds unsent before alerts expire")
        verbs.add_parser("list", help="Every source, with what it sent in the last 24 hours.")
        rotate = verbs.add_parser("rotate", help="Give a source a new secret; prints the new URL last.")
        rotate.add_argument("name")
        revoke = verbs.add_parser("revoke", help="Refuse whatever a source sends from now on.")
        revoke.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            match options["verb"]:
                case "create":
                    self._print_issued(_create(options), "Added")
                case "list":
                    self._list()
                case "rotate":
                    self._print_issued(rotate_secret(get_source(options["name"]), actor=None), "Rotated the secret of")
                case _:
                    source = revoke_source(get_source(options["name"]), actor=None)
                    self.stdout.write(f"Revoked {source.name}: Keel refuses whatever it sends from now on.")
        except KeelError as error:
            raise CommandError(error.message) from error

    def _print_issued(self, issued: IssuedSecret, done: str) -> None:
        source = issued.source
        if source.kind == SourceKind.PAGERDUTY:
            self.stdout.write(
                f"{done} {source.name} ({source.get_kind_display()}). Send events to the base URL's /v2/enqueue "
                "with this routing key; it is shown once, so store it now:"
            )
            self.stdout.write(issued.url)
            self.stdout.write(issued.secret)
            return
        self.stdout.write(f"{done} {source.name} ({source.get_kind_display()}). Its URL is shown once; store it now:")
        self.stdout.write(issued.url)

    def _list(self) -> None:
        rows = source_rows()
        if not rows:
            self.stdout.write("No monitoring sources yet; add one with: keel source create <name> --kind …")
            return
        for row in rows:
            source = row.source
            last = row.last_payload_at.isoformat(timespec="seconds") if row.last_payload_at else "nothing yet"
            state = "active" if source.is_active else "revoked"
            self.stdout.write(
                f"{source.name}\t{source.kind}\t{source.token_prefix}…\t{state}\tlast payload {last}\t"
                f"{row.active_alerts} active alerts\t{row.payloads_recent} payloads, "
                f"{row.rejected_recent} rejected in 24 h"
            )


def _create(options: dict[str, Any]) -> IssuedSecret:
    return create_source(
        actor=None,
        name=options["name"],
        kind=options["kind"],
        description=options["description"],
        mapping=_mapping(options),
        identity_labels=[label.strip() for label in options["identity_labels"].split(",") if label.strip()],
        expire_after_s=options["expire_after"],
        assignment_group=team_by_reference(options["group"]) if options["group"] else None,
    )


def _mapping(options: dict[str, Any]) -> dict[str, Any] | None:
    if options["preset"]:
        return dict(PRESETS[options["preset"]])
    if not options["mapping_file"]:
        return None
    path = Path(options["mapping_file"])
    try:
        mapping = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
    except json.JSONDecodeError as error:
        raise CommandError(f"{path} is not JSON ({error.msg} at line {error.lineno}); write an object.") from error
    if not isinstance(mapping, dict):
        raise CommandError(f'{path} must hold a JSON object, such as {{"summary": "title"}}.')
    return mapping
