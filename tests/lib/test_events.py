from dataclasses import dataclass

import pytest
from django.db import transaction

from keel.lib.events import _subscriptions, batched, muted, publish, publish_all


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


@pytest.fixture
def calls(settings):
    """Two handlers of Pinged: one that takes a list (batched), one that takes each event."""
    seen: list[object] = []

    @batched
    def many(events):
        seen.append(("many", list(events)))

    def each(event):
        seen.append(("each", event))

    settings.KEEL_SUBSCRIPTIONS = "tests.lib.test_events.SUBSCRIPTIONS"
    SUBSCRIPTIONS[Pinged] = [many, each]
    _subscriptions.cache_clear()
    yield seen
    _subscriptions.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_a_batched_handler_gets_what_one_publish_all_sent_in_one_call_after_commit(calls):
    with transaction.atomic():
        publish_all([Pinged(5), Pinged(6)])
        publish(Pinged(7))
        assert calls == []

    assert ("many", [Pinged(5), Pinged(6)]) in calls
    assert ("many", [Pinged(7)]) in calls
    assert [event for kind, event in calls if kind == "each"] == [Pinged(5), Pinged(6), Pinged(7)]
    assert len(calls) == 5


@pytest.mark.django_db(transaction=True)
def test_publish_all_of_a_rolled_back_transaction_delivers_nothing(calls):
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_all([Pinged(8), Pinged(9)])
        raise RuntimeError("rolled back")

    assert calls == []
