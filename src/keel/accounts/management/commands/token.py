"""``keel token create <username>``: prints a new API token as the last line."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.accounts.actions import issue_api_token
from keel.accounts.models import User


class Command(BaseCommand):
    help = "Manage API tokens: keel token create <username> [--name NAME]"

    def add_arguments(self, parser: ArgumentParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        create = verbs.add_parser("create", help="Create a token; it is shown once.")
        create.add_argument("username")
        create.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['username']!r}; create one with: keel user create")
        issued = issue_api_token(user, name=options["name"])
        self.stdout.write(f"Token for {user.username} (shown once; store it now):")
        self.stdout.write(issued.raw)
