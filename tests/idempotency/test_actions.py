"""The periodic purge of idempotency keys past their lifetime."""

from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest

from keel.accounts.models import User
from keel.idempotency.actions import claim_key, purge_expired_keys
from keel.idempotency.models import IdempotencyKey
from keel.idempotency.tasks import purge_expired_keys_task
from keel.lib import clock

NOW: Final = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _claimed(user: User, key: str, at: datetime) -> None:
    with clock.frozen_at(at):
        claim_key(user=user, key=key, request="POST /api/v1/incidents", fingerprint="f")


@pytest.mark.django_db
def test_the_purge_deletes_the_keys_older_than_their_lifetime(agent: User) -> None:
    _claimed(agent, "old", NOW - timedelta(hours=25))
    _claimed(agent, "recent", NOW - timedelta(hours=23))

    with clock.frozen_at(NOW):
        purged, again = purge_expired_keys(), purge_expired_keys()

    assert (purged, again) == (1, 0)
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["recent"]


@pytest.mark.django_db
def test_the_scheduled_task_purges(agent: User) -> None:
    _claimed(agent, "old", clock.now() - timedelta(days=2))

    purge_expired_keys_task.enqueue()

    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_the_lifetime_is_a_setting(agent: User, settings: Any) -> None:
    settings.KEEL_IDEMPOTENCY_KEY_HOURS = 1
    _claimed(agent, "old", NOW - timedelta(hours=2))

    with clock.frozen_at(NOW):
        assert purge_expired_keys() == 1
