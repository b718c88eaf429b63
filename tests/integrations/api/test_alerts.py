"""Alerts over the API: filters, the capped count, history, acknowledging."""

from collections.abc import Callable
from typing import Any

import pytest

from keel.accounts.models import User
from keel.incidents.models import Incident
from keel.integrations.actions.processing import process_pending
from keel.integrations.models import Alert
from keel.integrations.states import AlertStatus
from tests.conftest import ApiClient, Graph
from tests.integrations.views.test_alerts import one_alert

pytestmark = pytest.mark.django_db

Api = Callable[[User], ApiClient]


def test_staff_list_alerts_with_filters_and_a_capped_count(
    api: Api, agent: User, post: Callable[..., Any], disk_full: dict[str, Alert]
) -> None:
    post("alertmanager", one_alert(1, severity="info"))
    process_pending()
    client = api(agent)
    incident = Incident.objects.get()

    everything = client.get("/alerts").json()
    critical = client.get("/alerts?severity=critical&status=active").json()
    by_incident = client.get(f"/alerts?incident={incident.number}&source=prod-alertmanager").json()
    paged = client.get("/alerts?limit=1&offset=1").json()
    text = client.get("/alerts?q=db2").json()

    assert (everything["count"], everything["count_is_capped"], len(everything["items"])) == (3, False, 3)
    assert everything["items"][0]["summary"] == "Check 001 failing"
    assert sorted(item["summary"] for item in critical["items"]) == ["Disk full on db1", "Disk full on db2"]
    assert {item["incident"] for item in by_incident["items"]} == {incident.number}
    assert (paged["count"], paged["offset"], paged["limit"], len(paged["items"])) == (3, 1, 1, 1)
    assert [item["summary"] for item in text["items"]] == ["Disk full on db2"]


def test_an_alert_document(api: Api, agent: User, disk_full: dict[str, Alert], shop: Graph) -> None:
    alert = disk_full["db1"]

    body = api(agent).get(f"/alerts/{alert.pk}").json()

    incident = Incident.objects.get()
    assert (body["id"], body["status"], body["severity"], body["occurrences"]) == (alert.pk, "firing", "critical", 1)
    assert body["source"] == {"id": alert.source_id, "name": "prod-alertmanager", "kind": "alertmanager"}
    assert body["labels"]["instance"] == "db1:9100"
    assert body["links"] == [{"href": "https://runbooks.example/disk", "text": "Runbook"}]
    assert (body["ci"], body["service"]["name"], body["incident"]) == (
        {"id": shop["db1"].pk, "name": "db1"},
        "Online shop",
        incident.number,
    )
    assert [event["kind"] for event in body["history"]] == ["fired", "opened_incident"]
    assert body["history"][1]["incident"] == incident.number
    assert body["last_seen_at"].endswith("Z")


@pytest.mark.parametrize(
    ("query", "refusal"),
    [
        ("status=burning", ("status", "status takes active, firing, acknowledged, resolved, expired")),
        ("severity=urgent", ("severity", "severity takes critical, error, warning, info")),
        ("incident=42", ("incident", "incident takes an incident number such as INC0000042")),
        ("source=nagios", ("source", "No monitoring source 'nagios'")),
        ("flapping=maybe", ("flapping", "flapping takes true or false")),
        ("limit=500", ("limit", "limit must be at most 100")),
        ("offset=-1", ("offset", "offset must be 0 or more")),
    ],
)
def test_a_filter_that_cannot_work_is_400(api: Api, agent: User, query: str, refusal: tuple[str, str]) -> None:
    response = api(agent).get(f"/alerts?{query}")

    assert response.status_code == 400
    assert (response.json()["field"], refusal[1] in response.json()["message"]) == (refusal[0], True)


@pytest.mark.parametrize(
    ("method", "path"), [("get", "/alerts/999"), ("get", "/alerts/abc"), ("post", "/alerts/9/acknowledge")]
)
def test_an_unknown_alert_is_404(api: Api, agent: User, method: str, path: str) -> None:
    response = getattr(api(agent), method)(path)

    assert response.status_code == 404
    assert "that you can see; check the id" in response.json()["message"]


def test_staff_acknowledge_an_alert(api: Api, resolver: User, disk_full: dict[str, Alert]) -> None:
    alert = disk_full["db2"]

    response = api(resolver).post(f"/alerts/{alert.pk}/acknowledge")
    again = api(resolver).post(f"/alerts/{alert.pk}/acknowledge")

    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    last = response.json()["history"][-1]
    assert (last["kind"], last["note"]) == ("acknowledged", "by Nick")
    assert again.status_code == 200
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.ACKNOWLEDGED


def test_acknowledging_an_ended_alert_is_409(api: Api, agent: User, post: Callable[..., Any]) -> None:
    post("alertmanager", one_alert(1, status="resolved"))
    process_pending()

    response = api(agent).post(f"/alerts/{Alert.objects.get().pk}/acknowledge")

    assert response.status_code == 409
    assert response.json()["message"] == "The alert is resolved; there is nothing to acknowledge."


def test_a_requester_cannot_acknowledge(api: Api, requester: User, disk_full: dict[str, Alert]) -> None:
    response = api(requester).post(f"/alerts/{disk_full['db1'].pk}/acknowledge")

    assert response.status_code == 403
    assert Alert.objects.get(pk=disk_full["db1"].pk).status == AlertStatus.FIRING
