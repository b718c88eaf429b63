"""Reads of alerts: only for IT staff."""

import pytest

from keel.accounts.models import User
from keel.integrations.models import Alert
from keel.integrations.queries.alerts import AlertFilters, alert_for, alert_page, alerts_visible_to
from keel.lib.errors import NotFound

pytestmark = pytest.mark.django_db


def test_a_requester_sees_no_alert_at_all(requester: User, agent: User, disk_full: dict[str, Alert]) -> None:
    page = alert_page(requester, AlertFilters(), offset=0, limit=50)

    assert (alerts_visible_to(requester).count(), alerts_visible_to(agent).count()) == (0, 2)
    assert (page.items, page.count) == ([], 0)
    with pytest.raises(NotFound):
        alert_for(requester, disk_full["db1"].pk)
