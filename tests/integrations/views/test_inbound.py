"""The inbound endpoints: authenticated per source, stored before 2xx, malformed kept for inspection,
answered the way each sender expects."""

import json

from keel.integrations.actions.sources import revoke_source, rotate_secret
from keel.integrations.models import Alert, Payload
from keel.integrations.states import PayloadStatus
from keel.lib.clock import frozen_at
from tests.integrations.conftest import captured, received_at

FIRING = captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")


def test_an_alertmanager_notification_is_stored_as_sent_before_keel_answers(post, sources):
    response = post("alertmanager", FIRING["json"], HTTP_USER_AGENT="Alertmanager/0.25.0")

    assert response.status_code == 202
    payload = Payload.objects.get()
    assert response.json() == {"status": "accepted", "payload": payload.pk, "alerts": 1}
    assert (payload.source, payload.status, payload.signals) == (sources["alertmanager"].source, "pending", 1)
    assert payload.body.encode() == sender_body(FIRING["json"])
    assert Alert.objects.count() == 0  # processing comes after the answer


def sender_body(document: object) -> bytes:
    return json.dumps(document).encode()


def test_the_secret_may_come_in_an_authorization_header(sender, sources):
    url = sources["alertmanager"].url.rsplit("/", 1)[0]

    response = sender.post(url, FIRING["json"], Authorization=f"Bearer {sources['alertmanager'].secret}")

    assert response.status_code == 202


def test_an_unknown_secret_gets_401_and_nothing_is_stored(sender, sources):
    url = sources["alertmanager"].url.rsplit("/", 1)[0] + "/not-the-secret"

    response = sender.post(url, FIRING["json"])

    assert response.status_code == 401
    assert "No active source has this secret" in response.json()["message"]
    assert Payload.objects.count() == 0


def test_no_secret_at_all_gets_401(sender, sources):
    response = sender.post(sources["alertmanager"].url.rsplit("/", 1)[0], FIRING["json"])

    assert (response.status_code, Payload.objects.count()) == (401, 0)
    assert "Authorization: Bearer" in response.json()["message"]


def test_a_secret_of_another_kind_of_source_is_refused(sender, sources):
    url = sources["prometheus"].url.replace("/prometheus/", "/alertmanager/").removesuffix("/api/v2/alerts")

    assert sender.post(url, FIRING["json"]).status_code == 401


def test_a_revoked_source_and_a_rotated_secret_stop_working_at_once(post, sender, sources):
    old_url = sources["alertmanager"].url
    rotated = rotate_secret(sources["alertmanager"].source, actor=None)

    assert sender.post(old_url, FIRING["json"]).status_code == 401
    assert sender.post(rotated.url, FIRING["json"]).status_code == 202
    revoke_source(rotated.source, actor=None)
    assert sender.post(rotated.url, FIRING["json"]).status_code == 401
    assert Payload.objects.count() == 1


def test_a_body_that_is_not_json_gets_400_and_is_kept_for_inspection(post):
    response = post("alertmanager", b'{"version": "4", "alerts": [')

    assert response.status_code == 400
    assert response.json()["message"].startswith("The body is not valid JSON")
    payload = Payload.objects.get()
    assert (payload.status, payload.body) == (PayloadStatus.REJECTED, '{"version": "4", "alerts": [')
    assert payload.error == response.json()["message"]


def test_a_body_that_is_not_utf8_gets_400(post):
    response = post("alertmanager", b'{"version": "4", "receiver": "\xff"}')

    assert response.status_code == 400
    assert response.json()["message"] == "The body is not UTF-8 text (byte 30)."
    assert Payload.objects.get().status == PayloadStatus.REJECTED


def test_a_payload_of_another_version_says_which_version_keel_reads(post):
    response = post("alertmanager", {**FIRING["json"], "version": "3"})

    assert response.status_code == 400
    assert "version" in response.json()["message"]
    assert Payload.objects.get().status == PayloadStatus.REJECTED


def test_unknown_keys_are_ignored(post):
    response = post("alertmanager", {**FIRING["json"], "notification_reason": "repeat", "routeLabels": {}})

    assert response.status_code == 202


def test_only_post_is_accepted(sender, sources):
    path = "/" + sources["alertmanager"].url.split("/", 3)[3]

    assert sender.client.get(path).status_code == 405


def test_prometheus_posts_to_its_alertmanager_path(post):
    request = captured("prometheus", "prometheus-2.42-post-api-v2-alerts-firing")

    with frozen_at(received_at(request)):
        response = post("prometheus", request["json"])

    assert response.status_code == 202
    assert Payload.objects.get().signals == 1


def test_a_pagerduty_trigger_is_answered_as_pagerduty_does(sender, sources):
    event = {**captured("pagerduty", "python-pagerduty-7.2.0-events-v2-trigger")["json"]}
    event["routing_key"] = sources["pagerduty"].secret

    response = sender.post(sources["pagerduty"].url + "/v2/enqueue", event)

    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "disk-db-3-var"}


def test_a_pagerduty_event_with_an_unknown_routing_key_gets_401(sender, sources):
    event = captured("pagerduty", "python-pagerduty-7.2.0-events-v2-trigger")["json"]

    response = sender.post(sources["pagerduty"].url + "/v2/enqueue", event)

    assert (response.status_code, Payload.objects.count()) == (401, 0)


def test_an_invalid_pagerduty_event_lists_every_error_as_pagerduty_does(sender, sources):
    event = {"routing_key": sources["pagerduty"].secret, "event_action": "trigger", "payload": {"summary": "x"}}

    response = sender.post(sources["pagerduty"].url + "/v2/enqueue", event)

    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["message"]) == ("invalid event", "Event object is invalid")
    assert len(body["errors"]) == 2  # source and severity
    assert Payload.objects.get().status == PayloadStatus.REJECTED


def test_a_pagerduty_change_event_is_accepted(sender, sources):
    event = {**captured("pagerduty", "python-pagerduty-7.2.0-events-v2-change")["json"]}
    event["routing_key"] = sources["pagerduty"].secret

    response = sender.post(sources["pagerduty"].url + "/v2/change/enqueue", event)

    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Change event processed"}


def test_a_generic_source_reads_with_its_mapping(post):
    request = captured("generic", "grafana-11-webhook-firing")

    response = post("grafana", request["json"])

    assert response.status_code == 202
    assert response.json()["alerts"] == len(request["json"]["alerts"])


def test_the_printed_urls_are_the_ones_that_work(sources):
    secret = sources["alertmanager"].secret

    assert sources["alertmanager"].url == f"http://127.0.0.1:8000/integrations/alertmanager/{secret}"
    assert sources["prometheus"].url.endswith("/api/v2/alerts")
    assert sources["pagerduty"].url == "http://127.0.0.1:8000/integrations/pagerduty"
    assert len(sources["pagerduty"].secret) == 32
