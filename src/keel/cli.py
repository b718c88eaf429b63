"""The ``keel`` console script: Django's management commands plus Keel's own (serve, worker, demo…)."""

import os
import sys

from django.core.management import execute_from_command_line

from keel.lib.doors import Door, entering


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.config.settings")
    with entering(Door.CLI):  # the worker says it is Keel itself (scheduler/worker.py)
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
