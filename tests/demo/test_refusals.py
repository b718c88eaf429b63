"""``keel demo`` never mixes demo data into a database that holds other data, and fails whole."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from keel.accounts.models import Team, User
from keel.incidents.models import Category, Incident


def test_a_database_with_incidents_is_left_alone(incident: Incident) -> None:
    users = User.objects.count()

    with pytest.raises(CommandError, match="already has incidents"):
        call_command("demo")

    assert User.objects.count() == users
    assert Incident.objects.count() == 1


def test_a_taken_username_rolls_everything_back(agent: User) -> None:
    with pytest.raises(CommandError, match="'alice' already exists"):
        call_command("demo")

    assert list(User.objects.values_list("username", flat=True)) == ["alice"]
    assert list(Team.objects.values_list("slug", flat=True)) == ["service-desk"]
    assert not Category.objects.exists()


def test_if_empty_skips_a_database_that_has_people(agent: User) -> None:
    out = StringIO()

    call_command("demo", "--if-empty", stdout=out)

    assert "not loading the demo data" in out.getvalue()
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]
