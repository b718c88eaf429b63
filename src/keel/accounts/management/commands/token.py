"""``keel token create <username>`` (prints a new API token as the last line), ``keel token list
[username]`` and ``keel token revoke <prefix>``."""

from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.accounts.actions import PREFIX_LENGTH, issue_api_token, revoke_api_token
from keel.accounts.management.verbs import verb_parsers
from keel.accounts.models import ApiToken, User
from keel.accounts.queries import api_tokens


class Command(BaseCommand):
    help = "Manage API tokens: keel token create <username> [--name NAME] | list [username] | revoke <prefix>"

    def add_arguments(self, parser: ArgumentParser) -> None:
        verbs = verb_parsers(
            parser,
            create="Create a token; it is shown once.",
            list="List the tokens (of one person, or everyone's): prefix, owner, name, created, last used, revoked.",
            revoke="Revoke the token with this prefix (as 'keel token list' shows it, or the whole token).",
        )
        verbs["create"].add_argument("username")
        verbs["create"].add_argument("--name", default="")
        verbs["list"].add_argument("username", nargs="?")
        verbs["revoke"].add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "create":
            self._create(options["username"], options["name"])
        elif options["verb"] == "list":
            self._list(options["username"])
        else:
            self._revoke(options["prefix"])

    def _create(self, username: str, name: str) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}; create one with: keel user create")
        issued = issue_api_token(user, name=name)
        self.stdout.write(f"Token for {user.username} (shown once; store it now):")
        self.stdout.write(issued.raw)

    def _list(self, username: str | None) -> None:
        if username is not None and not User.objects.filter(username=username).exists():
            raise CommandError(f"No user {username!r}; 'keel token list' alone lists everyone's tokens.")
        rows = [_row(token) for token in api_tokens(username=username)]
        if not rows:
            self.stdout.write("No tokens; create one with: keel token create <username>")
            return
        header = ("PREFIX", "USER", "NAME", "CREATED", "LAST USED", "REVOKED")
        widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip())

    def _revoke(self, given: str) -> None:
        # As the list shows it ("keel_7fOjss1…"), or the whole token: its first characters are its prefix.
        prefix = given.strip().removesuffix("…")[:PREFIX_LENGTH]
        tokens = list(api_tokens(prefix=prefix))
        if not tokens:
            raise CommandError(f"No token {prefix!r}; 'keel token list' shows each token's prefix.")
        if len(tokens) > 1:
            owners = ", ".join(token.user.username for token in tokens)
            raise CommandError(f"{len(tokens)} tokens start with {prefix!r} ({owners}); revoke them in the admin.")
        token = tokens[0]
        if token.revoked_at is not None:
            self.stdout.write(
                f"{token.prefix}… of {token.user.username} was revoked already ({_when(token.revoked_at)})."
            )
            return
        revoke_api_token(token)
        self.stdout.write(f"Revoked {token.prefix}… of {token.user.username}; it no longer opens the API.")


def _row(token: ApiToken) -> tuple[str, ...]:
    return (
        f"{token.prefix}…",
        token.user.username,
        token.name or "-",
        _when(token.created_at),
        _when(token.last_used_at),
        _when(token.revoked_at),
    )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "-"
