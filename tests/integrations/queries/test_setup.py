"""Reads of set-up: maintenance windows by when they run."""

from datetime import timedelta

import pytest

from keel.integrations.actions.windows import create_maintenance_window
from keel.integrations.queries.setup import maintenance_windows
from keel.lib import clock
from keel.lib.clock import frozen_at

pytestmark = pytest.mark.django_db


def test_windows_are_grouped_by_when_they_run(db: None) -> None:
    now = clock.now()
    for name, starts, ends in [
        ("later", timedelta(hours=5), timedelta(hours=6)),
        ("soon", timedelta(hours=1), timedelta(hours=2)),
        ("now", -timedelta(hours=1), timedelta(hours=1)),
        ("over", -timedelta(hours=3), -timedelta(hours=2)),
    ]:
        create_maintenance_window(
            actor=None, name=name, starts_at=now + starts, ends_at=now + ends, matchers=[{"label": "a"}]
        )

    with frozen_at(now):
        found = maintenance_windows()

    assert [[window.name for window in group] for group in (found.current, found.upcoming, found.past)] == [
        ["now"],
        ["soon", "later"],
        ["over"],
    ]
