"""Monitoring set-up over the API: maintenance windows, correlation rules, change events."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keel.accounts.models import Team, User
from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.sources import IssuedSecret
from keel.integrations.actions.windows import create_maintenance_window
from keel.integrations.models import CorrelationRule, MaintenanceWindow
from keel.lib.clock import frozen_at
from tests.conftest import ApiClient, Graph
from tests.integrations.conftest import Sender, captured

pytestmark = pytest.mark.django_db

Api = Callable[[User], ApiClient]
NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


# --- maintenance windows -----------------------------------------------------------------------


def test_a_manager_plans_changes_and_ends_a_window(api: Api, incident_manager: User, shop: Graph) -> None:
    client = api(incident_manager)

    with frozen_at(NOW):
        created = client.post(
            "/maintenance-windows",
            {
                "name": "DB upgrade",
                "starts_at": "2026-11-27T13:00:00Z",
                "ends_at": "2026-11-27T18:00:00+01:00",
                "matchers": [{"label": "instance", "op": "=~", "value": "db.*"}],
                "ci": "db1",
                "service": "Online shop",
            },
        )
        path = f"/maintenance-windows/{created.json()['id']}"
        patched = client.patch(path, {"reason": "Vendor patch", "ci": None})
        running = client.get("/maintenance-windows?state=running").json()
        ended = client.delete(path)

    body = created.json()
    assert created.status_code == 201, body
    assert created["Location"] == f"/api/v1{path}"
    assert (body["state"], body["ends_at"], body["ci"]["name"], body["service"]["name"]) == (
        "running",
        "2026-11-27T17:00:00.000000Z",
        "db1",
        "Online shop",
    )
    assert body["matchers"] == [{"label": "instance", "op": "=~", "value": "db.*"}]
    assert (patched.json()["reason"], patched.json()["ci"]) == ("Vendor patch", None)
    assert [window["name"] for window in running] == ["DB upgrade"]
    assert (ended.status_code, ended.json()["state"], ended.json()["ends_at"]) == (
        200,
        "ended",
        "2026-11-27T14:00:00.000000Z",
    )


def test_ending_a_window_that_has_not_started_removes_it(api: Api, incident_manager: User, db: None) -> None:
    window = create_maintenance_window(
        actor=None,
        name="Later",
        starts_at=NOW + timedelta(days=1),
        ends_at=NOW + timedelta(days=2),
        matchers=[{"label": "env", "value": "prod"}],
    )

    with frozen_at(NOW):
        listed = api(incident_manager).get("/maintenance-windows?state=planned").json()
        response = api(incident_manager).delete(f"/maintenance-windows/{window.pk}")

    assert [item["state"] for item in listed] == ["planned"]
    assert response.status_code == 204
    assert not MaintenanceWindow.objects.exists()


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"matchers": []}, ("matchers", "Say what the window covers")),
        ({"ends_at": "2026-11-27T12:00:00Z"}, ("ends_at", "The window must end after it starts.")),
        ({"starts_at": "2026-11-27T13:00:00"}, ("starts_at", "starts_at needs a time zone")),
        ({"matchers": [{"label": "x", "op": "=~", "value": "("}]}, ("matchers", "is not a valid regular expression")),
        ({"matchers": [{"label": "x", "op": "~"}]}, ("matchers.0.op", "matchers.0.op: Input should be")),
        ({"ci": "no-such-ci"}, ("ci", "No configuration item 'no-such-ci'")),
    ],
)
def test_a_window_keel_cannot_use_is_400(
    api: Api, incident_manager: User, change: dict[str, Any], refusal: tuple[str, str]
) -> None:
    body = {
        "name": "Upgrade",
        "starts_at": "2026-11-27T13:00:00Z",
        "ends_at": "2026-11-27T15:00:00Z",
        "matchers": [{"label": "env", "value": "prod"}],
        **change,
    }

    response = api(incident_manager).post("/maintenance-windows", body)

    assert response.status_code == 400
    assert (response.json()["field"], refusal[1] in response.json()["message"]) == (refusal[0], True)
    assert not MaintenanceWindow.objects.exists()


def test_an_unknown_window_is_404(api: Api, agent: User, incident_manager: User, db: None) -> None:
    assert api(agent).get("/maintenance-windows/77").status_code == 404
    assert api(incident_manager).delete("/maintenance-windows/77").status_code == 404


def test_a_bad_state_filter_is_400(api: Api, agent: User, db: None) -> None:
    response = api(agent).get("/maintenance-windows?state=soon")

    assert (response.status_code, response.json()["field"]) == (400, "state")


# --- correlation rules -------------------------------------------------------------------------


def test_staff_read_the_rules_in_order(api: Api, agent: User, db: None) -> None:
    rules = api(agent).get("/correlation-rules").json()

    assert [(rule["position"], rule["severities"]) for rule in rules] == [
        (100, ["critical", "error"]),
        (200, ["warning"]),
        (300, ["info"]),
    ]


def test_a_manager_writes_rules_through_the_same_checks(
    api: Api, incident_manager: User, sources: dict[str, IssuedSecret], network_team: Team
) -> None:
    client = api(incident_manager)

    created = client.post(
        "/correlation-rules",
        {
            "name": "  Payments   pages ",
            "position": 50,
            "source": "prod-alertmanager",
            "severities": ["critical"],
            "matchers": [{"label": "team", "value": "payments"}],
            "group_by": "labels",
            "group_labels": ["alertname", "cluster"],
            "assignment_group": "network",
        },
    )
    rule_id = created.json()["id"]
    patched = client.patch(f"/correlation-rules/{rule_id}", {"is_active": False, "source": None})
    by_name = client.get("/correlation-rules/Payments pages").json()

    assert created.status_code == 201, created.json()
    assert created["Location"] == f"/api/v1/correlation-rules/{rule_id}"
    assert (created.json()["name"], created.json()["source"]["name"], created.json()["assignment_group"]["slug"]) == (
        "Payments pages",
        "prod-alertmanager",
        "network",
    )
    assert created.json()["matchers"] == [{"label": "team", "op": "=", "value": "payments"}]
    assert (patched.json()["is_active"], patched.json()["source"]) == (False, None)
    assert by_name["id"] == rule_id


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        ({"severities": ["urgent"]}, ("severities", "severities must be a list of critical, error, warning, info.")),
        ({"group_by": "team"}, ("group_by", "group_by must be one of service, ci, labels.")),
        ({"on_refire": "ignore"}, ("on_refire", "on_refire must be one of reopen, new.")),
        ({"group_labels": [""]}, ("group_labels", "group_labels must be a list of label names")),
        ({"name": "Info alerts are recorded only"}, ("name", "exists already")),
        ({"min_occurrences": 0}, ("min_occurrences", "min_occurrences must be 1 or more (got 0).")),
        ({"source": "nagios"}, ("source", "No monitoring source 'nagios'")),
    ],
)
def test_a_rule_keel_cannot_use_is_400(
    api: Api, incident_manager: User, body: dict[str, Any], refusal: tuple[str, str]
) -> None:
    response = api(incident_manager).post("/correlation-rules", {"name": "New rule", **body})

    assert response.status_code == 400
    assert (response.json()["field"], refusal[1] in response.json()["message"]) == (refusal[0], True)
    assert CorrelationRule.objects.count() == 3


def test_an_unknown_rule_is_404(api: Api, incident_manager: User, db: None) -> None:
    assert api(incident_manager).patch("/correlation-rules/9999", {"is_active": False}).status_code == 404


# --- change events -----------------------------------------------------------------------------


def test_staff_read_change_events_newest_first(
    api: Api, agent: User, sender: Sender, sources: dict[str, IssuedSecret]
) -> None:
    event = {**captured("pagerduty", "python-pagerduty-7.2.0-events-v2-change")["json"]}
    event["routing_key"] = sources["pagerduty"].secret
    for summary in ("First deploy", "Second deploy"):
        sender.post(
            sources["pagerduty"].url + "/v2/change/enqueue",
            {**event, "payload": {**event["payload"], "summary": summary}},
        )
    process_pending()

    listed = api(agent).get("/changes?source=ci-runner&limit=1").json()

    assert [item["summary"] for item in listed["items"]] == ["Second deploy"]
    assert (listed["has_more"], listed["items"][0]["source"]["name"]) == (True, "ci-runner")
    assert listed["items"][0]["reported_by"] == "ci-runner-7"
