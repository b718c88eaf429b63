"""Alerts in the console: IT staff list, filter, page and open them and acknowledge one; a requester
is turned away; every page works without JavaScript (htmx gets the results partial)."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from keel.accounts.models import User
from keel.incidents.models import Incident
from keel.integrations.actions.processing import process_pending
from keel.integrations.models import Alert, AlertEvent
from keel.integrations.states import AlertStatus
from tests.integrations.conftest import captured, signed_in

pytestmark = pytest.mark.django_db

FIRING = captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")["json"]


def one_alert(number: int, *, severity: str = "warning", status: str = "firing") -> dict[str, Any]:
    """An Alertmanager notification of one alert of its own identity."""
    alert = {
        **FIRING["alerts"][0],
        "status": status,
        "labels": {"alertname": f"Check{number:03d}", "severity": severity, "instance": f"web{number}:9100"},
        "annotations": {"summary": f"Check {number:03d} failing"},
        "fingerprint": f"check{number:03d}",
    }
    return {**FIRING, "alerts": [alert]}


def test_anonymous_visitors_are_sent_to_sign_in(client: Any) -> None:
    response = client.get("/alerts/")

    assert (response.status_code, response["Location"]) == (302, "/sign-in/?next=/alerts/")


@pytest.mark.parametrize("path", ["/alerts/", "/alerts/{id}/"])
def test_a_requester_is_told_alerts_are_for_it_staff(requester: User, disk_full: dict[str, Alert], path: str) -> None:
    response = signed_in(requester).get(path.format(id=disk_full["db1"].pk))

    assert response.status_code == 403
    assert "Alerts and monitoring sources are for IT staff." in response.content.decode()


def test_the_nav_offers_alerts_to_staff_only(agent: User, requester: User) -> None:
    staff_page = signed_in(agent).get("/incidents/").content.decode()
    requester_page = signed_in(requester).get("/incidents/").content.decode()

    assert 'href="/alerts/"' in staff_page
    assert 'href="/alerts/"' not in requester_page


@pytest.mark.parametrize("role", ["agent", "resolver", "incident_manager"])
def test_staff_see_the_alerts_newest_first_with_their_place_and_incident(
    request: pytest.FixtureRequest, disk_full: dict[str, Alert], role: str
) -> None:
    user = request.getfixturevalue(role)

    response = signed_in(user).get("/alerts/")

    html = response.content.decode()
    incident = Incident.objects.get()
    assert response.status_code == 200
    assert "Showing 1–2 of 2 alerts" in html
    assert html.count("data-alert=") == 2
    assert "Disk full on db1" in html
    assert "db1 · Online shop" in html
    assert f'href="/incidents/{incident.number}/"' in html
    assert f'href="/alerts/{disk_full["db1"].pk}/"' in html
    assert '<span class="badge badge--severity badge--sev-critical">Critical</span>' in html


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("status=firing", ["Check 001", "Check 002"]),
        ("status=resolved", ["Check 003"]),
        ("status=active", ["Check 001", "Check 002"]),
        ("severity=info", ["Check 002"]),
        ("q=check+00", ["Check 001", "Check 002", "Check 003"]),
        ("q=002", ["Check 002"]),
        ("source=prod-alertmanager", ["Check 001", "Check 002", "Check 003"]),
        ("source=grafana", []),
    ],
)
def test_the_list_filters(post: Callable[..., Any], agent: User, query: str, shown: list[str]) -> None:
    post("alertmanager", one_alert(1))
    post("alertmanager", one_alert(2, severity="info"))
    post("alertmanager", one_alert(3, status="resolved"))
    process_pending()

    html = signed_in(agent).get(f"/alerts/?{query}").content.decode()

    assert sorted(set(re.findall(r"(Check \d{3}) failing", html))) == shown


def test_the_list_filters_by_incident_flapping_and_suppression(
    post: Callable[..., Any], agent: User, disk_full: dict[str, Alert]
) -> None:
    post("alertmanager", one_alert(1))
    process_pending()
    incident = Incident.objects.get()
    client = signed_in(agent)

    by_incident = client.get(f"/alerts/?incident={incident.number.lower()}").content.decode()
    flapping = client.get("/alerts/?flapping=on").content.decode()
    suppressed = client.get("/alerts/?suppressed=on").content.decode()

    assert by_incident.count("data-alert=") == 2
    assert "Check 001" not in by_incident
    assert "No alerts here." in flapping
    assert "No alerts here." in suppressed


def test_a_filter_that_cannot_work_says_what_to_write(agent: User) -> None:
    response = signed_in(agent).get("/alerts/?incident=42")

    assert response.status_code == 400
    assert "incident takes an incident number such as INC0000042 (got &#x27;42&#x27;)." in response.content.decode()


def test_the_list_pages_fifty_at_a_time(post: Callable[..., Any], agent: User) -> None:
    for number in range(55):
        post("alertmanager", one_alert(number))
    process_pending()
    client = signed_in(agent)

    first = client.get("/alerts/").content.decode()
    second = client.get("/alerts/?offset=50").content.decode()

    assert "Showing 1–50 of 55 alerts" in first
    assert "Check 054 failing" in first  # the last one received is seen last
    assert 'href="?offset=50"' in first
    assert "Showing 51–55 of 55 alerts" in second
    assert "Check 000 failing" in second
    assert 'href="?offset=0"' in second


def test_the_count_stops_at_the_cap(post: Callable[..., Any], agent: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("keel.lib.paging.COUNT_CAP", 3)
    monkeypatch.setattr("keel.integrations.views.alerts.PAGE", 2)
    for number in range(6):
        post("alertmanager", one_alert(number))
    process_pending()

    html = signed_in(agent).get("/alerts/").content.decode()

    assert "Showing 1–2 of 3+ alerts" in html
    assert 'href="?offset=2"' in html


def test_htmx_gets_only_the_results(agent: User, disk_full: dict[str, Alert]) -> None:
    response = signed_in(agent).get("/alerts/?status=firing", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.count("data-alert=") == 2
    assert "HX-Request" in response["Vary"]


def test_the_list_does_not_query_per_row(
    post: Callable[..., Any], agent: User, shop: Any, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    for number in range(30):
        post("alertmanager", one_alert(number))
    process_pending()
    client = signed_in(agent)

    with django_assert_max_num_queries(10):
        response = client.get("/alerts/")

    assert response.content.decode().count("data-alert=") == 30


def test_an_alert_shows_what_its_sender_said_where_it_is_and_what_happened(
    agent: User, disk_full: dict[str, Alert], shop: Any
) -> None:
    alert = disk_full["db1"]
    incident = Incident.objects.get()

    response = signed_in(agent).get(f"/alerts/{alert.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Disk full on db1</h1>" in html
    assert '<th scope="row" class="mono">instance</th><td class="mono">db1:9100</td>' in html
    assert '<a href="https://runbooks.example/disk" rel="noopener noreferrer">Runbook</a>' in html
    assert f'<a href="/cmdb/cis/{shop["db1"].pk}/">db1</a>' in html
    assert f'<a href="/cmdb/cis/{shop["shop"].pk}/">Online shop</a>' in html
    assert f'<a class="mono" href="/incidents/{incident.number}/">{incident.number}</a>' in html
    assert html.index(">Fired<") < html.index(">Opened an incident<")
    assert f'href="/integrations/sources/{alert.source_id}/"' in html
    assert f'action="/alerts/{alert.pk}/acknowledge/"' in html


def test_an_unknown_alert_is_404(agent: User) -> None:
    assert signed_in(agent).get("/alerts/999999/").status_code == 404


def test_acknowledging_an_alert_records_who_and_hides_the_button(agent: User, disk_full: dict[str, Alert]) -> None:
    alert = disk_full["db1"]
    client = signed_in(agent)

    response = client.post(f"/alerts/{alert.pk}/acknowledge/")
    page = client.get(response["Location"]).content.decode()

    alert.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, f"/alerts/{alert.pk}/")
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert AlertEvent.objects.filter(alert=alert, kind="acknowledged", note="by Alice").exists()
    assert "Acknowledged: the alert shows that someone is on it." in page
    assert "/acknowledge/" not in page


def test_acknowledging_a_resolved_alert_says_there_is_nothing_to_acknowledge(
    post: Callable[..., Any], agent: User
) -> None:
    post("alertmanager", one_alert(1, status="resolved"))
    process_pending()
    alert = Alert.objects.get()
    client = signed_in(agent)

    response = client.post(f"/alerts/{alert.pk}/acknowledge/", follow=True)

    assert "The alert is resolved; there is nothing to acknowledge." in response.content.decode()
    assert Alert.objects.get().status == AlertStatus.RESOLVED


def test_a_requester_cannot_acknowledge(requester: User, disk_full: dict[str, Alert]) -> None:
    alert = disk_full["db1"]

    response = signed_in(requester).post(f"/alerts/{alert.pk}/acknowledge/")

    assert response.status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.FIRING


def test_acknowledging_takes_post_only(agent: User, disk_full: dict[str, Alert]) -> None:
    assert signed_in(agent).get(f"/alerts/{disk_full['db1'].pk}/acknowledge/").status_code == 405
