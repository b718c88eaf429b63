"""Monitoring sources in the console: staff read them; incident managers and admins add one (its URL
and secret shown once), rotate and revoke its secret and send it a test event that is processed like
a real one. Agents, resolvers and requesters cannot manage, and their attempts change nothing."""

import json
import re
from typing import Any

import pytest

from keel.accounts.models import Team, User
from keel.incidents.models import Incident
from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.sources import IssuedSecret, create_source
from keel.integrations.inbound.generic.presets import PRESETS
from keel.integrations.models import Alert, Payload, Source
from keel.integrations.states import AlertStatus, PayloadStatus
from tests.integrations.conftest import Sender, captured, signed_in

pytestmark = pytest.mark.django_db

FIRING = captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")["json"]
NOT_MANAGERS = ["agent", "resolver", "requester"]


def source_form(**fields: Any) -> dict[str, Any]:
    return {
        "name": "prod-alertmanager",
        "kind": "alertmanager",
        "description": "",
        "preset": "",
        "mapping": "",
        "identity_labels": "",
        "expire_after_minutes": "",
        "assignment_group": "",
        **fields,
    }


def shown(html: str, what: str) -> str:
    """The URL or secret the page shows once (data-issued="url" / "secret")."""
    found = re.search(rf'data-issued="{what}">([^<]+)<', html)
    assert found is not None, html
    return found.group(1)


def sent_to(sender: Sender, url: str, body: object) -> int:
    return int(sender.post(url, body).status_code)


@pytest.mark.parametrize("role", ["agent", "resolver", "incident_manager"])
def test_staff_read_the_sources_with_what_they_sent(
    request: pytest.FixtureRequest, sources: dict[str, IssuedSecret], post: Any, role: str
) -> None:
    post("alertmanager", FIRING)
    post("alertmanager", b"{not json")
    process_pending()

    html = signed_in(request.getfixturevalue(role)).get("/integrations/sources/").content.decode()

    row = html[html.index('data-source="prod-alertmanager"') :].split("</tr>")[0]
    assert f"{sources['alertmanager'].secret[:8]}…" in row
    assert re.findall(r'class="cell-labelled num" data-label="[^"]+">(\d+)<', row) == ["1", "2", "1"]
    assert sources["alertmanager"].secret not in html
    assert html.count("data-source=") == 4


def test_only_managers_are_offered_to_add_a_source(agent: User, incident_manager: User, db: None) -> None:
    assert "/integrations/sources/new/" not in signed_in(agent).get("/integrations/sources/").content.decode()
    assert "/integrations/sources/new/" in signed_in(incident_manager).get("/integrations/sources/").content.decode()


def test_a_requester_may_not_read_sources(requester: User, sources: dict[str, IssuedSecret]) -> None:
    client = signed_in(requester)

    assert client.get("/integrations/sources/").status_code == 403
    assert client.get(f"/integrations/sources/{sources['alertmanager'].source.pk}/").status_code == 403


def test_a_manager_adds_a_source_and_sees_its_url_once(incident_manager: User, sender: Sender) -> None:
    client = signed_in(incident_manager)

    form = client.get("/integrations/sources/new/")
    response = client.post("/integrations/sources/new/", source_form(description="Production\r\ncluster"))

    html = response.content.decode()
    source = Source.objects.get()
    url, secret = shown(html, "url"), shown(html, "secret")
    assert form.status_code == 200
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert url == f"http://127.0.0.1:8000/integrations/alertmanager/{secret}"
    assert (source.name, source.kind, source.created_by, source.description) == (
        "prod-alertmanager",
        "alertmanager",
        incident_manager,
        "Production\ncluster",
    )
    assert sent_to(sender, url, FIRING) == 202
    assert secret not in client.get(f"/integrations/sources/{source.pk}/").content.decode()


def test_a_pagerduty_source_shows_its_base_url_and_routing_key(admin_user: User, sender: Sender) -> None:
    response = signed_in(admin_user).post("/integrations/sources/new/", source_form(name="ci", kind="pagerduty"))

    html = response.content.decode()
    base, key = shown(html, "url"), shown(html, "secret")
    event = {**captured("pagerduty", "python-pagerduty-7.2.0-events-v2-trigger")["json"], "routing_key": key}
    assert base == "http://127.0.0.1:8000/integrations/pagerduty"
    assert "Routing key (integration key)" in html
    assert f"{base}/v2/enqueue" in html
    assert sent_to(sender, f"{base}/v2/enqueue", event) == 202


def test_a_generic_source_takes_a_preset_or_its_own_mapping(incident_manager: User, network_team: Team) -> None:
    client = signed_in(incident_manager)
    own = {"summary": "title", "severity": "level", "dedup_key": "id"}

    client.post(
        "/integrations/sources/new/",
        source_form(name="grafana", kind="generic", preset="grafana", identity_labels="alertname, instance"),
    )
    client.post(
        "/integrations/sources/new/",
        source_form(
            name="custom",
            kind="generic",
            preset="grafana",
            mapping=json.dumps(own),
            expire_after_minutes="30",
            assignment_group=str(network_team.pk),
        ),
    )

    grafana, custom = Source.objects.get(name="grafana"), Source.objects.get(name="custom")
    assert (grafana.mapping, grafana.identity_labels) == (dict(PRESETS["grafana"]), ["alertname", "instance"])
    assert (custom.mapping, custom.expire_after_s, custom.assignment_group) == (own, 1800, network_team)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"kind": "generic"}, "The field mapping needs &#x27;summary&#x27;"),
        ({"kind": "generic", "mapping": "{summary: title"}, "This is not JSON"),
        ({"kind": "generic", "mapping": "[]"}, "Write a JSON object"),
        ({"kind": "generic", "mapping": '{"summary": "title", "sevrity": "x"}'}, "did you mean &#x27;severity&#x27;?"),
        ({"mapping": '{"summary": "title"}'}, "Only generic sources take a field mapping."),
        ({"expire_after_minutes": "-1"}, "Ensure this value is greater than or equal to 0."),
    ],
)
def test_a_source_keel_cannot_use_is_refused_next_to_the_field(
    incident_manager: User, fields: dict[str, str], message: str
) -> None:
    response = signed_in(incident_manager).post("/integrations/sources/new/", source_form(**fields))

    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert "There is a problem" in html
    assert not Source.objects.exists()


def test_a_second_source_of_the_same_name_is_refused(incident_manager: User, sources: dict[str, IssuedSecret]) -> None:
    response = signed_in(incident_manager).post("/integrations/sources/new/", source_form())

    assert response.status_code == 400
    assert "named &#x27;prod-alertmanager&#x27; exists already; pick another name." in response.content.decode()


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_others_cannot_add_a_source(request: pytest.FixtureRequest, role: str) -> None:
    client = signed_in(request.getfixturevalue(role))

    assert client.get("/integrations/sources/new/").status_code == 403
    assert client.post("/integrations/sources/new/", source_form()).status_code == 403
    assert not Source.objects.exists()


def test_a_source_page_shows_recent_payloads_with_the_reason_for_a_refusal(
    agent: User, sources: dict[str, IssuedSecret], post: Any
) -> None:
    post("alertmanager", FIRING)
    post("alertmanager", {**FIRING, "version": "3"})
    rejected = Payload.objects.get(status=PayloadStatus.REJECTED)

    html = signed_in(agent).get(f"/integrations/sources/{sources['alertmanager'].source.pk}/").content.decode()

    row = html[html.index(f'data-payload="{rejected.pk}"') :].split("</tr>")[0]
    assert "Rejected (malformed)" in row
    assert "version must be &quot;4&quot;" in row
    assert f"{len(rejected.body.encode())} B" in row
    assert html.count("data-payload=") == 2
    assert "Send test event" not in html
    assert "Rotate secret" not in html


def test_an_unknown_source_is_404(agent: User) -> None:
    assert signed_in(agent).get("/integrations/sources/424242/").status_code == 404


def test_rotating_shows_the_new_url_once_and_the_old_stops_working(
    incident_manager: User, sources: dict[str, IssuedSecret], sender: Sender
) -> None:
    source = sources["alertmanager"].source
    client = signed_in(incident_manager)

    response = client.post(f"/integrations/sources/{source.pk}/rotate/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "The old URL stopped working." in html
    assert sent_to(sender, sources["alertmanager"].url, FIRING) == 401
    assert sent_to(sender, shown(html, "url"), FIRING) == 202


def test_revoking_stops_the_source_and_keeps_its_alerts(
    incident_manager: User, sources: dict[str, IssuedSecret], sender: Sender, post: Any
) -> None:
    post("alertmanager", FIRING)
    process_pending()
    source = sources["alertmanager"].source
    client = signed_in(incident_manager)

    response = client.post(f"/integrations/sources/{source.pk}/revoke/", follow=True)

    html = response.content.decode()
    assert "Revoked prod-alertmanager: Keel refuses whatever it sends from now on." in html
    assert "Send test event" not in html
    assert Source.objects.get(pk=source.pk).revoked_at is not None
    assert sent_to(sender, sources["alertmanager"].url, FIRING) == 401
    assert Alert.objects.filter(source=source).count() == 1


def test_a_revoked_source_gets_no_new_secret(incident_manager: User, sources: dict[str, IssuedSecret]) -> None:
    source = sources["alertmanager"].source
    client = signed_in(incident_manager)
    client.post(f"/integrations/sources/{source.pk}/revoke/")

    rotated = client.post(f"/integrations/sources/{source.pk}/rotate/", follow=True)
    tested = client.post(f"/integrations/sources/{source.pk}/test/", follow=True)

    assert "a revoked source gets no new secret" in rotated.content.decode()
    assert "is revoked and accepts nothing, test events included" in tested.content.decode()
    assert Source.objects.get(pk=source.pk).token_hash == source.token_hash
    assert not Payload.objects.exists()


@pytest.mark.parametrize("role", NOT_MANAGERS)
@pytest.mark.parametrize("verb", ["rotate", "revoke", "test"])
def test_others_cannot_rotate_revoke_or_test(
    request: pytest.FixtureRequest, sources: dict[str, IssuedSecret], role: str, verb: str
) -> None:
    source = sources["alertmanager"].source

    response = signed_in(request.getfixturevalue(role)).post(f"/integrations/sources/{source.pk}/{verb}/")

    stored = Source.objects.get(pk=source.pk)
    assert response.status_code == 403
    assert (stored.token_hash, stored.revoked_at) == (source.token_hash, None)
    assert not Payload.objects.exists()


@pytest.mark.parametrize("name", ["alertmanager", "prometheus", "pagerduty", "grafana"])
def test_a_test_event_is_stored_and_processed_like_a_real_one(
    incident_manager: User, sources: dict[str, IssuedSecret], name: str
) -> None:
    source = sources[name].source
    client = signed_in(incident_manager)

    response = client.post(f"/integrations/sources/{source.pk}/test/", follow=True)
    payload = Payload.objects.get()
    pending = payload.status
    process_pending()

    alert = Alert.objects.get()
    assert f"Sent a test event as {source.name} (payload {payload.pk}, 1 alert)." in response.content.decode()
    assert (payload.source, pending, payload.user_agent) == (source, PayloadStatus.PENDING, "Keel test event")
    assert (alert.source, alert.summary, alert.severity) == (source, f"Test event from Keel for {source.name}", "info")
    assert alert.status == AlertStatus.FIRING
    assert not Incident.objects.exists()  # info alerts are recorded only (the default rules)


def test_sending_the_test_event_again_counts_the_same_alert(
    incident_manager: User, sources: dict[str, IssuedSecret]
) -> None:
    source = sources["alertmanager"].source
    client = signed_in(incident_manager)

    client.post(f"/integrations/sources/{source.pk}/test/")
    client.post(f"/integrations/sources/{source.pk}/test/")
    process_pending()

    assert list(Alert.objects.values_list("occurrences", flat=True)) == [2]


def test_a_mapping_that_cannot_read_its_test_event_says_why(incident_manager: User) -> None:
    # The summary is looked for inside a label's text, where no test event (nor any sender) can put one.
    odd = create_source(
        actor=None, name="odd", kind="generic", mapping={"summary": "labels.alertname.text", "labels": "labels"}
    ).source

    response = signed_in(incident_manager).post(f"/integrations/sources/{odd.pk}/test/", follow=True)

    html = response.content.decode()
    assert "Keel stored the test event, but this source&#x27;s field mapping cannot read it" in html
    assert "nothing at labels.alertname.text" in html
    assert Payload.objects.get().status == PayloadStatus.REJECTED
