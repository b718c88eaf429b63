"""The hand-written reads' SQL helpers answer the same on SQLite and PostgreSQL as Python does."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from keel.accounts.models import User
from keel.lib.api import iso_utc
from keel.lib.sql import api_time, epoch_seconds, fetch, in_literals
from keel.sla.business_time import instant_of

pytestmark = pytest.mark.django_db

MOMENTS = [
    datetime(2026, 11, 27, 18, 0, tzinfo=UTC),  # SQLite stores a whole second without a fraction
    datetime(2026, 11, 27, 18, 0, 0, 500_000, tzinfo=UTC),
    datetime(2026, 11, 27, 18, 0, 0, 1, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2026, 3, 29, 2, 30, 0, 250, tzinfo=ZoneInfo("Europe/London")),  # stored as UTC
]


def _read(expression: str, user: User) -> object:
    ((value,),) = fetch(f"SELECT {expression} FROM {User._meta.db_table} u WHERE u.id = %s", [user.pk])
    return value


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_stored_time_reads_as_the_api_writes_it_and_as_the_clock_counts_it(moment):
    user = User.objects.create(username="stamped", last_login=moment)

    assert _read(api_time("u.last_login"), user) == iso_utc(moment)
    assert _read(epoch_seconds("u.last_login"), user) == instant_of(moment)


def test_a_missing_time_stays_missing():
    user = User.objects.create(username="never", last_login=None)

    assert _read(api_time("u.last_login"), user) is None
    assert _read(epoch_seconds("u.last_login"), user) is None


def test_the_api_text_sorts_as_the_times_do():
    texts = [iso_utc(moment) for moment in sorted(MOMENTS)]

    assert texts == sorted(texts)


def test_literal_values_select_what_they_name():
    for name in ("ada", "bob_2", "cy"):
        User.objects.create(username=name)
    ids = list(User.objects.filter(username__in=["ada", "cy"]).values_list("pk", flat=True))

    by_name = fetch(
        f"SELECT u.username FROM {User._meta.db_table} u WHERE {in_literals('u.username', ['bob_2', 'cy'])}", []
    )
    by_id = fetch(f"SELECT u.username FROM {User._meta.db_table} u WHERE {in_literals('u.id', ids)}", [])
    nothing = fetch(f"SELECT u.username FROM {User._meta.db_table} u WHERE {in_literals('u.id', [])}", [])

    assert sorted(name for (name,) in by_name) == ["bob_2", "cy"]
    assert sorted(name for (name,) in by_id) == ["ada", "cy"]
    assert nothing == []


@pytest.mark.parametrize("value", ["x' OR '1'='1", "a b", "", "ünï", "1; DROP TABLE accounts_user"])
def test_a_literal_outside_the_vocabulary_is_refused_not_quoted(value):
    with pytest.raises(ValueError, match="not a literal"):
        in_literals("u.username", [value])
