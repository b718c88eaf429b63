"""Reads of sources: what the source list counts (and over which period), payload sizes in bytes."""

from datetime import timedelta
from typing import Any

import pytest

from keel.integrations.actions.sources import IssuedSecret
from keel.integrations.queries.sources import recent_payloads, source_rows
from keel.lib import clock
from keel.lib.clock import frozen_at
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
