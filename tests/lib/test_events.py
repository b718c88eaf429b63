from dataclasses import dataclass

import pytest
from django.db import transaction

from keel.lib.events import _subscriptions, muted, publish


@dataclass(frozen=True)
class Pinged:
    value: int


@pytest.fixture
def received(settings):
    seen: list[Pinged] = []
    settings.KEEL_SUBSCRIPTIONS = "tests.lib.test_events.SUBSCRIPTIONS"
    SUBSCRIPTIONS[Pinged] = [seen.append]
    _subscriptions.cache_clear()
    yield seen
    _subscriptions.cache_clear()


SUBSCRIPTIONS: dict[type, list[object]] = {}


@pytest.mark.django_db(transaction=True)
def test_events_are_delivered_after_commit(received):
    with transaction.atomic():
        publish(Pinged(1))
        assert received == []

    assert received == [Pinged(1)]


@pytest.mark.django_db(transaction=True)
def test_events_of_a_rolled_back_transaction_are_dropped(received):
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(Pinged(2))
        raise RuntimeError("rolled back")

    assert received == []


@pytest.mark.django_db(transaction=True)
def test_muted_blocks_publish_nothing(received):
    with transaction.atomic(), muted():
        publish(Pinged(3))
    with transaction.atomic():
        publish(Pinged(4))

    assert received == [Pinged(4)]
