"""Panels: a record page draws, in order, what the functions its setting lists give (lib/panels.py)."""

from typing import Any

import pytest

from keel.accounts.models import User
from keel.incidents.models import Incident
from keel.lib.panels import Panel, panels_for
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def greeting(user: User, incident: Incident) -> Panel:
    return Panel(template="tests/greeting.html", context={"who": user.username, "number": incident.number})


def nothing(user: User, incident: Incident) -> None:
    return None


PANELS = [greeting, nothing]


def test_the_listed_functions_give_the_panels_in_order_and_none_draws_nothing(
    settings: Any, agent: User, incident: Incident
) -> None:
    settings.KEEL_TEST_PANELS = "tests.lib.test_panels.PANELS"

    assert panels_for("KEEL_TEST_PANELS", agent, incident) == [
        Panel(template="tests/greeting.html", context={"who": "alice", "number": incident.number})
    ]


def test_the_incident_record_draws_the_configured_panels(
    settings: Any, client: Any, agent: User, incident: Incident, tmp_path: Any
) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "greeting.html").write_text('<p id="greeting">{{ panel.who }} on {{ panel.number }}</p>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    settings.KEEL_INCIDENT_PANELS = "tests.lib.test_panels.PANELS"
    client.login(username="alice", password=PASSWORD)

    html = client.get(f"/incidents/{incident.number}/").content.decode()

    assert f'<p id="greeting">alice on {incident.number}</p>' in html
