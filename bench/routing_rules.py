"""Adds N routing rules that no bench incident matches, so a create is routed against all of them.

Each rule has every condition empty but its words, which the decision checks last: the incident
is tried against every condition of every rule, the most a rule costs. Run with the environment of
the database to fill (``DATABASE_URL``); ``bench/run.sh create --routing-rules 200`` does.
"""

import argparse
import os

import django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, required=True)
    count = parser.parse_args().count
    if not 1 <= count <= 10_000:
        raise SystemExit("routing_rules: --count must be 1..10,000")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.config.settings")
    django.setup()
    from keel.accounts.actions import ensure_team  # after setup: the apps must be loaded
    from keel.routing.actions import create_rule

    group = ensure_team(slug="service-desk", name="Service Desk")
    for number in range(count):
        create_rule(
            actor=None,
            fields={
                "name": f"Bench rule {number}",
                "position": number,
                "words": [f"zz-never-{number}"],
                "assignment_group": group,
            },
        )
    print(f"{count} routing rules")


if __name__ == "__main__":
    main()
