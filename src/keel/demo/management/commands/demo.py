"""``keel demo [--if-empty]``: fill a fresh database with a believable service desk to click through."""

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.demo.build import (
    DEMO_PASSWORD,
    MARKER_USERNAME,
    DemoSummary,
    build_demo,
    database_is_empty,
    demo_accounts,
    demo_is_loaded,
)
from keel.lib.errors import KeelError


class Command(BaseCommand):
    help = "Load demo data (people, teams, categories, services, 300 incidents over 90 days). Safe to run twice."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only into a database without users or incidents; otherwise say so and succeed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_is_loaded():
            self.stdout.write(f"The demo data is already there (user {MARKER_USERNAME!r} exists); nothing changed.")
            self.write_accounts()
            return
        if options["if_empty"] and not database_is_empty():
            self.stdout.write("The database already holds users or incidents; not loading the demo data.")
            return
        self.stdout.write("Building the demo data…")
        started = time.perf_counter()
        try:
            summary = build_demo()
        except KeelError as error:
            raise CommandError(error.message) from error
        self.write_summary(summary, seconds=time.perf_counter() - started)
        self.write_accounts()

    def write_summary(self, summary: DemoSummary, *, seconds: float) -> None:
        states = ", ".join(f"{state} {count}" for state, count in summary.incidents_by_state.items())
        self.stdout.write(
            f"  {summary.people} people in {summary.teams} teams; {summary.categories} categories with "
            f"{summary.subcategories} subcategories; {summary.services} services; "
            f"{summary.configuration_items} configuration items"
        )
        self.stdout.write(f"  {sum(summary.incidents_by_state.values())} incidents over 90 days: {states}")
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {seconds:.1f} s."))

    def write_accounts(self) -> None:
        accounts = demo_accounts()
        width = max(len("username"), *(len(account.username) for account in accounts)) + 2
        self.stdout.write(f"\nSign in with any of these accounts (password {DEMO_PASSWORD!r} for all):")
        self.stdout.write(f"  {'username':<{width}}{'password':<12}role")
        for account in accounts:
            self.stdout.write(f"  {account.username:<{width}}{account.password:<12}{account.role}")
