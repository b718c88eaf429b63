"""``keel intake process`` and ``keel intake replay``: the monitoring intake's queue, by hand.

``process`` drains the pending payloads now (what ``keel worker`` does continuously). ``replay``
puts stored payloads back in the queue (after a parser fix, say) and then processes them; a
payload already applied to an alert changes it no more, so replaying is always safe.
"""

from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.integrations.actions.processing import process_pending, replay
from keel.integrations.models import Source
from keel.integrations.queries.sources import get_source, known_payload_ids, payload_ids_since
from keel.lib.errors import KeelError


class Command(BaseCommand):
    help = "Process the monitoring intake's pending payloads now, or replay stored ones."

    def add_arguments(self, parser: ArgumentParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        verbs.add_parser("process", help="Process every pending payload now and print the counts.")
        again = verbs.add_parser("replay", help="Requeue stored payloads (rejected ones too), then process them.")
        which = again.add_mutually_exclusive_group(required=True)
        which.add_argument("--payload", type=int, action="append", metavar="ID", help="a payload id (repeatable)")
        which.add_argument("--source", metavar="NAME", help="every payload of this source since --since")
        again.add_argument("--since", metavar="ISO", help="with --source: e.g. 2026-11-27T14:00:00Z")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "replay":
            self._requeue(options)
        self._process()

    def _requeue(self, options: dict[str, Any]) -> None:
        if options["payload"]:
            wanted = list(dict.fromkeys(options["payload"]))
            missing = sorted(set(wanted) - known_payload_ids(wanted))
            if missing:
                raise CommandError(f"No payload has the id {', '.join(map(str, missing))}; nothing was requeued.")
        else:
            wanted = payload_ids_since(_source(options["source"]), _since(options["since"]))
        self.stdout.write(f"Requeued {_counted(replay(wanted), 'payload')}.")

    def _process(self) -> None:
        payloads = alerts = opened = 0
        while (done := process_pending()).payloads:
            payloads, alerts, opened = payloads + done.payloads, alerts + done.alerts, opened + done.opened
        self.stdout.write(
            f"Processed {_counted(payloads, 'payload')}: {_counted(alerts, 'alert update')}, "
            f"{_counted(opened, 'incident')} opened."
        )


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _source(name: str) -> Source:
    try:
        return get_source(name)
    except KeelError as error:
        raise CommandError(error.message) from error


def _since(text: str | None) -> datetime:
    if not text:
        raise CommandError("--source needs --since, the time to replay from, e.g. --since 2026-11-27T14:00:00Z.")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--since {text!r} is not an ISO 8601 time; write e.g. 2026-11-27T14:00:00Z.") from error
    if moment.tzinfo is None:
        raise CommandError(f"--since {text!r} has no time zone; add one, e.g. {text}Z for UTC.")
    return moment
