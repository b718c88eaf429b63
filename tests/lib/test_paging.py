"""``narrowed``: a filter left empty narrows nothing; the others all apply."""

import pytest

from keel.accounts.models import Team
from keel.lib.paging import narrowed


@pytest.mark.django_db
def test_only_the_filters_given_narrow_the_rows() -> None:
    Team.objects.bulk_create([Team(slug="network", name="Network"), Team(slug="database", name="Database")])

    everyone = narrowed(Team.objects.order_by("slug"), slug=None, name__icontains=None)
    one = narrowed(Team.objects.all(), slug=None, name__icontains="net")
    none = narrowed(Team.objects.all(), slug="database", name__icontains="net")

    assert [team.slug for team in everyone] == [team.slug for team in Team.objects.order_by("slug")]
    assert [team.slug for team in one] == ["network"]
    assert list(none) == []
