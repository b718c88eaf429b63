"""The monitoring API with Bearer tokens: sources (secret shown once, rotate, revoke, test event),
alerts (filters, capped count, history, acknowledge), maintenance windows, correlation rules,
change events. Staff read, managers write; 401 without a token, 403, 404 and 400 that say what to fix."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from keel.accounts.models import Team, User
from keel.incidents.models import Incident
from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.sources import IssuedSecret
from keel.integrations.actions.windows import create_maintenance_window
from keel.integrations.inbound.generic.presets import PRESETS
from keel.integrations.models import Alert, CorrelationRule, MaintenanceWindow, Payload, Source
from keel.integrations.states import AlertStatus, PayloadStatus
from keel.lib.clock import frozen_at
from tests.conftest import ApiClient, Graph
from tests.integrations.conftest import Sender, captured
from tests.integrations.test_views_alerts import one_alert

pytestmark = pytest.mark.django_db

Api = Callable[[User], ApiClient]
FIRING = captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")["json"]
NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


# --- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/sources", "/alerts", "/alerts/1", "/maintenance-windows", "/correlation-rules", "/changes", "/sources/1"],
)
def test_without_a_token_every_call_is_401(db: None, path: str) -> None:
    response = Client().get(f"/api/v1{path}")

    assert response.status_code == 401
    assert "Authorization: Bearer <token>" in response.json()["message"]


@pytest.mark.parametrize("path", ["/sources", "/alerts", "/maintenance-windows", "/correlation-rules", "/changes"])
def test_a_requester_reads_nothing_here(api: Api, requester: User, path: str) -> None:
    response = api(requester).get(path)

    assert (response.status_code, response.json()["message"]) == (403, "Alerts and monitoring are for IT staff.")


@pytest.mark.parametrize("role", ["agent", "resolver", "requester"])
@pytest.mark.parametrize(
    "call",
    [
        ("post", "/sources", ({"name": "x", "kind": "alertmanager"},)),
        ("patch", "/sources/{source}", ({"description": "x"},)),
        ("delete", "/sources/{source}", ()),
        ("post", "/sources/{source}/rotate", ()),
        ("post", "/sources/{source}/test", ()),
        (
            "post",
            "/maintenance-windows",
            ({"name": "x", "starts_at": "2026-11-27T22:00:00Z", "ends_at": "2026-11-27T23:00:00Z", "ci": "db1"},),
        ),
        ("post", "/correlation-rules", ({"name": "x"},)),
        ("patch", "/correlation-rules/{rule}", ({"is_active": False},)),
    ],
)
def test_only_managers_write(
    request: pytest.FixtureRequest,
    api: Api,
    sources: dict[str, IssuedSecret],
    role: str,
    call: tuple[str, str, tuple[dict[str, Any], ...]],
) -> None:
    method, path, body = call
    source = sources["alertmanager"].source
    rule = CorrelationRule.objects.order_by("pk").first()
    assert rule is not None
    client = api(request.getfixturevalue(role))
    url = path.format(source=source.pk, rule=rule.pk)

    response = getattr(client, method)(url, *body)

    stored = Source.objects.get(pk=source.pk)
    assert response.status_code == 403
    assert "Only incident managers and administrators manage monitoring" in response.json()["message"]
    assert (Source.objects.count(), stored.token_hash, stored.revoked_at, stored.description) == (
        4,
        source.token_hash,
        None,
        "",
    )
    assert (Payload.objects.count(), MaintenanceWindow.objects.count(), CorrelationRule.objects.count()) == (0, 0, 3)
    assert CorrelationRule.objects.get(pk=rule.pk).is_active


# --- sources ------------------------------------------------------------------------------------


def test_a_manager_creates_a_source_and_gets_its_url_and_secret_once(
    api: Api, incident_manager: User, network_team: Team, sender: Sender
) -> None:
    client = api(incident_manager)

    created = client.post(
        "/sources", {"name": "prod-am", "kind": "alertmanager", "assignment_group": "network", "expire_after_s": 600}
    )
    read = client.get(f"/sources/{created.json()['id']}")

    body = created.json()
    assert created.status_code == 201, body
    assert created["Location"] == f"/api/v1/sources/{body['id']}"
    assert body["inbound_url"] == f"http://127.0.0.1:8000/integrations/alertmanager/{body['secret']}"
    assert (body["routing_key"], body["token_prefix"], body["assignment_group"]["slug"]) == (
        None,
        body["secret"][:8],
        "network",
    )
    assert (body["created_by"]["username"], body["is_active"], body["expire_after_s"]) == ("imogen", True, 600)
    assert "secret" not in read.json()
    assert "inbound_url" not in read.json()
    assert sender.post(body["inbound_url"], FIRING).status_code == 202


def test_a_pagerduty_source_answers_with_its_base_url_and_routing_key(
    api: Api, admin_user: User, sender: Sender
) -> None:
    body = api(admin_user).post("/sources", {"name": "ci", "kind": "pagerduty"}).json()

    event = {
        **captured("pagerduty", "python-pagerduty-7.2.0-events-v2-trigger")["json"],
        "routing_key": body["routing_key"],
    }
    assert body["inbound_url"] == "http://127.0.0.1:8000/integrations/pagerduty"
    assert body["routing_key"] == body["secret"]
    assert len(body["routing_key"]) == 32
    assert sender.post(body["inbound_url"] + "/v2/enqueue", event).status_code == 202


def test_a_generic_source_from_a_preset(api: Api, incident_manager: User) -> None:
    response = api(incident_manager).post("/sources", {"name": "grafana", "kind": "generic", "preset": "grafana"})

    assert response.status_code == 201
    assert response.json()["mapping"] == PRESETS["grafana"]


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        ({"name": "x", "kind": "nagios"}, ("kind", "kind: Input should be")),
        ({"name": "x", "kind": "generic"}, ("summary", "The field mapping needs 'summary'")),
        ({"name": "x", "kind": "generic", "mapping": {"summary": "t", "sumary": "t"}}, ("sumary", "did you mean")),
        ({"name": "x", "kind": "generic", "preset": "grafana", "mapping": {"summary": "t"}}, ("preset", "not both")),
        ({"name": "x", "kind": "alertmanager", "mapping": {"summary": "t"}}, ("mapping", "Only generic sources")),
        (
            {"name": "x", "kind": "alertmanager", "assignment_group": "nope"},
            ("assignment_group", "No assignment group"),
        ),
        ({"name": "x", "kind": "alertmanager", "token": "mine"}, ("token", "Unknown field 'token'")),
        ({"name": "prod-alertmanager", "kind": "alertmanager"}, ("name", "exists already")),
        ({"name": "   ", "kind": "alertmanager"}, ("name", "Give the source a name")),
    ],
)
def test_a_source_keel_cannot_use_is_400_saying_what_to_fix(
    api: Api, incident_manager: User, sources: dict[str, IssuedSecret], body: dict[str, Any], refusal: tuple[str, str]
) -> None:
    response = api(incident_manager).post("/sources", body)

    assert response.status_code == 400
    assert (response.json()["field"], refusal[1] in response.json()["message"]) == (refusal[0], True)
    assert Source.objects.count() == 4


def test_staff_list_and_read_sources_without_secrets(api: Api, agent: User, sources: dict[str, IssuedSecret]) -> None:
    client = api(agent)

    listed = client.get("/sources").json()
    by_name = client.get("/sources/prod-alertmanager").json()

    assert [source["name"] for source in listed] == ["ci-runner", "grafana", "prod-alertmanager", "prod-prometheus"]
    assert by_name["id"] == sources["alertmanager"].source.pk
    assert all("secret" not in source for source in listed)


def test_an_unknown_source_in_the_path_is_404(api: Api, agent: User, incident_manager: User, db: None) -> None:
    read = api(agent).get("/sources/nope")
    rotated = api(incident_manager).post("/sources/4242/rotate")

    assert (read.status_code, rotated.status_code) == (404, 404)
    assert read.json()["message"] == "No monitoring source 'nope'; give a source id or its exact name."


def test_patch_changes_what_a_source_may_change(
    api: Api, incident_manager: User, sources: dict[str, IssuedSecret], network_team: Team
) -> None:
    client = api(incident_manager)
    path = f"/sources/{sources['alertmanager'].source.pk}"

    changed = client.patch(
        path, {"description": "EU cluster", "identity_labels": ["alertname"], "assignment_group": network_team.pk}
    )
    cleared = client.patch(path, {"assignment_group": None})
    refused = [
        client.patch(path, {"kind": "generic"}).json(),
        client.patch(path, {"name": None}).json(),
        client.patch(path, {"mapping": {"summary": "x"}}).json(),
    ]

    assert changed.status_code == 200, changed.json()
    assert (changed.json()["description"], changed.json()["identity_labels"]) == ("EU cluster", ["alertname"])
    assert changed.json()["assignment_group"]["id"] == network_team.pk
    assert cleared.json()["assignment_group"] is None
    assert [(body["field"], body["message"]) for body in refused] == [
        ("kind", "kind cannot change: add a new source of the other kind instead."),
        ("name", "name cannot be empty; leave it out to keep it."),
        ("mapping", "Only generic sources take a field mapping."),
    ]


def test_delete_revokes_and_the_source_stops_being_accepted(
    api: Api, incident_manager: User, sources: dict[str, IssuedSecret], sender: Sender
) -> None:
    client = api(incident_manager)
    path = f"/sources/{sources['alertmanager'].source.pk}"

    revoked = client.delete(path)
    again = client.delete(path)
    rotate = client.post(f"{path}/rotate")
    test = client.post(f"{path}/test")

    assert revoked.status_code == 200
    assert (revoked.json()["is_active"], again.json()["revoked_at"]) == (False, revoked.json()["revoked_at"])
    assert sender.post(sources["alertmanager"].url, FIRING).status_code == 401
    assert (rotate.status_code, test.status_code) == (400, 409)
    assert "is revoked" in rotate.json()["message"]
    assert "is revoked and accepts nothing" in test.json()["message"]


def test_rotate_answers_the_new_url_once_and_the_old_stops(
    api: Api, incident_manager: User, sources: dict[str, IssuedSecret], sender: Sender
) -> None:
    response = api(incident_manager).post(f"/sources/{sources['prometheus'].source.pk}/rotate")

    body = response.json()
    assert response.status_code == 200
    assert body["inbound_url"].endswith(f"/integrations/prometheus/{body['secret']}/api/v2/alerts")
    assert sender.post(sources["prometheus"].url, []).status_code == 401
    assert sender.post(body["inbound_url"], []).status_code == 202


def test_a_test_event_is_stored_then_processed_into_an_alert(
    api: Api, incident_manager: User, sources: dict[str, IssuedSecret]
) -> None:
    client = api(incident_manager)
    source = sources["grafana"].source

    response = client.post(f"/sources/{source.pk}/test")
    process_pending()
    payloads = client.get(f"/sources/{source.pk}/payloads").json()

    assert response.status_code == 202
    assert response.json()["alerts"] == 1
    assert response.json()["payload"] == Payload.objects.get().pk
    assert Alert.objects.get().summary == "Test event from Keel for grafana"
    assert [(p["status"], p["signals"]) for p in payloads] == [("processed", 1)]


def test_a_test_event_the_mapping_cannot_read_is_400_naming_the_mapping(api: Api, incident_manager: User) -> None:
    client = api(incident_manager)
    created = client.post(
        "/sources", {"name": "odd", "kind": "generic", "mapping": {"summary": "labels.alertname.x", "labels": "labels"}}
    ).json()

    response = client.post(f"/sources/{created['id']}/test")

    assert response.status_code == 400
    assert response.json()["field"] == "mapping"
    assert response.json()["message"].startswith("Keel stored the test event, but the source's field mapping cannot")
    assert Payload.objects.get().status == PayloadStatus.REJECTED


# --- alerts -------------------------------------------------------------------------------------


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
        ("limit=500", ("limit", "limit must be between 1 and 100")),
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
        ({"min_occurrences": 0}, ("min_occurrences", "min_occurrences: Input should be greater than or equal to 1")),
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
