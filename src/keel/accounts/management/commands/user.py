"""``keel user create <username> --role <role> [--team <slug>] [--email …]``."""

import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.accounts.actions import add_team_member, create_user, ensure_team
from keel.accounts.management.verbs import verb_parsers
from keel.accounts.roles import Role
from keel.lib.errors import KeelError


class Command(BaseCommand):
    help = "Manage people: keel user create <username> --role <role> [--team <slug>]"

    def add_arguments(self, parser: ArgumentParser) -> None:
        create = verb_parsers(parser, create="Create a user (and the team, if missing).")["create"]
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--team", help="Team slug to join; created when missing.")
        create.add_argument("--email", default="")
        create.add_argument("--name", default="")
        create.add_argument("--password", help="Sign-in password; asked for on a terminal when omitted.")
        create.add_argument("--no-password", action="store_true", help="API tokens only, no UI sign-in.")

    def handle(self, *args: Any, **options: Any) -> None:
        password = None if options["no_password"] else options["password"]
        if password is None and not options["no_password"]:
            password = getpass.getpass("Password: ") if self._interactive() else None
        try:
            user = create_user(
                username=options["username"],
                role=Role(options["role"]),
                email=options["email"],
                name=options["name"],
                password=password,
            )
            if options["team"]:
                add_team_member(ensure_team(slug=options["team"]), user)
        except KeelError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Created {user.username} ({Role(user.role).label}).")

    def _interactive(self) -> bool:
        return sys.stdin is not None and sys.stdin.isatty()
