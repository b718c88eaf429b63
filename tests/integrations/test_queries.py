"""Reads on monitoring: what the source list counts (and over which period), payload sizes in bytes,
maintenance windows by when they run, and alerts only for IT staff."""

from datetime import timedelta
from typing import Any

import pytest

from keel.accounts.models import User
from keel.integrations.actions.sources import IssuedSecret
from keel.integrations.actions.windows import create_maintenance_window
from keel.integrations.models import Alert
from keel.integrations.queries.alerts import AlertFilters, alert_for, alert_page, alerts_visible_to
from keel.integrations.queries.setup import maintenance_windows
from keel.integrations.queries.sources import recent_payloads, source_rows
from keel.lib import clock
from keel.lib.clock import frozen_at
from keel.lib.errors import NotFound
from tests.integrations.conftest import captured

pytestmark = pytest.mark.django_db

FIRING = captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")["json"]


def test_the_source_list_counts_the_last_day_but_shows_the_last_payload_whenever(
    post: Any, sources: dict[str, IssuedSecret]
) -> None:
    with frozen_at(clock.now() - timedelta(days=2)):
        post("alertmanager", FIRING)
    post("alertmanager", b"[")

    rows = {row.source.name: row for row in source_rows()}

    alertmanager = rows["prod-alertmanager"]
    assert (alertmanager.payloads_recent, alertmanager.rejected_recent) == (1, 1)
    assert alertmanager.last_payload_at is not None
    assert alertmanager.last_payload_at > clock.now() - timedelta(minutes=1)
    assert rows["grafana"].last_payload_at is None


def test_a_payloads_size_is_its_bytes_as_stored(post: Any, sources: dict[str, IssuedSecret]) -> None:
    post("alertmanager", '{"receiver": "ünïcødé"}'.encode())

    (payload,) = recent_payloads(sources["alertmanager"].source)

    assert payload.size == len('{"receiver": "ünïcødé"}'.encode())
    assert payload.size > len('{"receiver": "ünïcødé"}')


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


def test_a_requester_sees_no_alert_at_all(requester: User, agent: User, disk_full: dict[str, Alert]) -> None:
    page = alert_page(requester, AlertFilters(), offset=0, limit=50)

    assert (alerts_visible_to(requester).count(), alerts_visible_to(agent).count()) == (0, 2)
    assert (page.items, page.count) == ([], 0)
    with pytest.raises(NotFound):
        alert_for(requester, disk_full["db1"].pk)
