"""Sources over the API: the secret shown once, rotate, revoke, test events, 400s that say what to fix."""

from collections.abc import Callable
from typing import Any

import pytest

from keel.accounts.models import Team, User
from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.sources import IssuedSecret
from keel.integrations.inbound.generic.presets import PRESETS
from keel.integrations.models import Alert, Payload, Source
from keel.integrations.states import PayloadStatus
from tests.conftest import ApiClient
from tests.integrations.conftest import Sender, captured

pytestmark = pytest.mark.django_db

Api = Callable[[User], ApiClient]
FIRING = captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")["json"]


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
