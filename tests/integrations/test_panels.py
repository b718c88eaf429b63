"""The incident record shows the incident's alerts (integrations' panel, listed in config/panels.py):
to IT staff, linking to each alert; never to a requester, even one who follows the incident."""

from collections.abc import Callable
from typing import Any

import pytest

from keel.accounts.models import User
from keel.incidents.actions.records import add_watcher
from keel.incidents.models import Incident
from keel.integrations.actions.processing import process_pending
from keel.integrations.models import Alert
from tests.integrations.conftest import captured, signed_in
from tests.integrations.views.test_alerts import one_alert

pytestmark = pytest.mark.django_db


def test_staff_see_the_incidents_alerts_with_their_status(agent: User, disk_full: dict[str, Alert]) -> None:
    incident = Incident.objects.get()

    html = signed_in(agent).get(f"/incidents/{incident.number}/").content.decode()

    panel = html[html.index('id="incident-alerts-title"') :].split("</section>")[0]
    assert panel.count("data-alert=") == 2
    assert f'<a href="/alerts/{disk_full["db1"].pk}/">Disk full on db1</a>' in panel
    assert '<span class="badge badge--state badge--alert-firing">Firing</span>' in panel
    assert "See all" not in panel


def test_the_panel_shows_the_latest_twenty_and_links_to_the_rest(
    post: Callable[..., Any], agent: User, shop: Any
) -> None:
    for number in range(25):
        body = one_alert(number, severity="critical")
        body["alerts"][0]["labels"]["instance"] = "db1:9100"  # all on the shop: one incident
        post("alertmanager", body)
        process_pending()  # one at a time, as they arrive: newest first is by arrival
    incident = Incident.objects.get()

    html = signed_in(agent).get(f"/incidents/{incident.number}/").content.decode()

    panel = html[html.index('id="incident-alerts-title"') :].split("</section>")[0]
    assert panel.count("data-alert=") == 20
    assert "Check 024 failing" in panel
    assert "Check 000 failing" not in panel  # the first one opened it: the title says it, the panel does not
    assert f'href="/alerts/?incident={incident.number}">See all this incident\'s alerts' in panel


def test_an_incident_without_alerts_has_no_alerts_panel(agent: User, incident: Incident) -> None:
    html = signed_in(agent).get(f"/incidents/{incident.number}/").content.decode()

    assert "incident-alerts-title" not in html


def test_a_requester_following_the_incident_does_not_see_its_alerts(
    requester: User, incident_manager: User, disk_full: dict[str, Alert]
) -> None:
    incident = Incident.objects.get()
    add_watcher(incident, actor=incident_manager, watcher=requester)

    response = signed_in(requester).get(f"/incidents/{incident.number}/")

    assert response.status_code == 200
    assert "incident-alerts-title" not in response.content.decode()


def test_the_panel_follows_htmx_swaps_of_the_record(agent: User, disk_full: dict[str, Alert]) -> None:
    incident = Incident.objects.get()

    html = signed_in(agent).get(f"/incidents/{incident.number}/", headers={"HX-Request": "true"}).content.decode()

    assert "<html" not in html
    assert html.count("data-alert=") == 2


def test_resolved_alerts_keep_showing_with_their_status(
    post: Callable[..., Any], agent: User, disk_full: dict[str, Alert]
) -> None:
    resolved = captured("alertmanager", "alertmanager-0.25-webhook-v4-group-of-two")["json"]
    post("alertmanager", {**resolved, "alerts": [{**alert, "status": "resolved"} for alert in resolved["alerts"]]})
    process_pending()
    incident = Incident.objects.get()

    html = signed_in(agent).get(f"/incidents/{incident.number}/").content.decode()

    assert html.count('<span class="badge badge--state badge--alert-resolved">Resolved</span>') == 2
