"""Bad input is a 400 that names the field and changes nothing (DESIGN §4.7, issue 23 §2), on every
endpoint the OpenAPI document lists — read from the document, so an endpoint added later is held
to the same rules without a line here."""

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, Final

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from keel.accounts.models import User
from keel.activity.models import TimelineEntry
from keel.cmdb.actions.records import create_ci
from keel.cmdb.models import CIType, ConfigurationItem
from keel.incidents.actions.conversation import add_comment
from keel.incidents.actions.lifecycle import transition_incident
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.incidents.states import IncidentState, ResolutionCode
from keel.lib.errors import InvalidInput
from keel.lib.text import COMMENT_MAX, DESCRIPTION_MAX, NOTE_MAX
from tests.api_schema import openapi
from tests.config.test_wsgi import _call
from tests.conftest import PASSWORD, ApiClient
from tests.incidents.helpers import open_in_progress

Api = Callable[[User], ApiClient]
WRITES: Final = ("post", "put", "patch")


def _operations(*methods: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in openapi()["paths"].items():
        for method, operation in operations.items():
            if method in methods:
                yield path, method, operation


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return dict(openapi()["components"]["schemas"][ref.rsplit("/", 1)[1]])


def _json_body(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    return _resolved(content["application/json"]["schema"]) if "application/json" in content else None


def _nullable(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(option.get("type") == "null" for option in schema.get("anyOf", ()))


def _url(path: str) -> str:
    # Any value will do for path parameters (1 reads as an id or a name): a body or query is checked
    # before anything is looked up.
    return re.sub(r"\{[^}]+\}", "1", path).removeprefix("/api/v1")


def _send(client: ApiClient, method: str, path: str, raw: str) -> Any:
    return client.client.generic(
        method.upper(), f"/api/v1{path}", raw, content_type="application/json", headers=client.headers
    )


@pytest.fixture
def admin_api(api: Api, admin_user: User) -> ApiClient:
    return api(admin_user)


def test_every_change_refuses_null_for_a_field_that_cannot_be_empty(admin_api: ApiClient) -> None:
    refused = []
    for path, method, operation in _operations("patch"):
        body = _json_body(operation)
        assert body is not None, f"PATCH {path} takes no JSON body"
        for name, schema in body["properties"].items():
            if _nullable(schema) or schema.get("readOnly"):  # read-only: never sent, answered as such
                continue
            answer = _send(admin_api, method, _url(path), json.dumps({name: None}))
            assert (answer.status_code, answer.json()["field"]) == (400, name), f"PATCH {path} {name}: null"
            refused.append(name)
    assert {"title", "description", "channel", "name", "kind", "calendar"} <= set(refused)


def test_null_still_empties_what_may_be_empty(api: Api, agent: User, incident: Incident) -> None:
    schema = _json_body(openapi()["paths"]["/api/v1/incidents/{number}"]["patch"])
    assert schema is not None
    assert [
        name for name in ("category", "service", "ci", "assignee", "parent") if _nullable(schema["properties"][name])
    ]
    assert not _nullable(schema["properties"]["title"])


@pytest.mark.parametrize("field", ["title", "description", "channel"])
def test_a_null_title_description_or_channel_changes_nothing(
    api: Api, agent: User, incident: Incident, field: str
) -> None:
    before = Incident.objects.get(pk=incident.pk)
    answer = api(agent).patch(f"/incidents/{incident.number}", {field: None})

    assert (answer.status_code, answer.json()["field"]) == (400, field)
    after = Incident.objects.get(pk=incident.pk)
    assert (after.title, after.description, after.channel, after.version) == (
        before.title,
        before.description,
        before.channel,
        before.version,
    )


@pytest.mark.parametrize(("text", "problem"), [("a\x00b", "NUL"), ("\ud9dc", "unpaired UTF-16 surrogate")])
def test_text_the_database_cannot_store_is_400_naming_the_field_in_every_json_body(
    admin_api: ApiClient, text: str, problem: str
) -> None:
    seen = 0
    for path, method, operation in _operations(*WRITES):
        body = _json_body(operation)
        if body is None or not body.get("properties"):
            continue
        name = next(iter(body["properties"]))
        answer = _send(admin_api, method, _url(path), json.dumps({name: text}))
        assert answer.status_code == 400, f"{method.upper()} {path}: {answer.content[:200]!r}"
        assert (answer.json()["field"], problem in answer.json()["message"]) == (name, True), path
        seen += 1
    assert seen > 20


def test_a_nested_nul_is_named_by_its_path(admin_api: ApiClient) -> None:
    body = {"name": "Night", "zone": "UTC", "windows": [{"weekday": "mon", "opens": "09:00", "closes": "1\x007:00"}]}
    answer = admin_api.post("/sla/calendars", body)

    assert (answer.status_code, answer.json()["field"]) == (400, "windows.0.closes")


def test_a_lone_surrogate_in_a_reference_is_400_and_creates_nothing(api: Api, agent: User) -> None:
    answer = api(agent).post("/incidents", {"title": "Printer on fire", "service": "\ud9dc"})

    assert (answer.status_code, answer.json()["field"]) == (400, "service")
    assert not Incident.objects.exists()


def test_a_nul_in_any_query_parameter_is_400_naming_it(admin_api: ApiClient) -> None:
    seen = 0
    for path, _, operation in _operations("get"):
        for parameter in operation.get("parameters", ()):
            if parameter["in"] != "query":
                continue
            answer = admin_api.get(f"{_url(path)}?{parameter['name']}=a%00b")
            assert (answer.status_code, answer.json()["field"]) == (400, parameter["name"]), path
            seen += 1
    assert seen > 20


def test_a_nul_in_a_console_query_is_refused_with_a_page(agent: User) -> None:
    client = Client()
    assert client.login(username=agent.username, password=PASSWORD)
    answer = client.get("/incidents/?q=a%00b")

    assert answer.status_code == 400
    assert b"NUL" in answer.content


def test_a_nul_in_a_path_finds_nothing(admin_api: ApiClient) -> None:
    answer = admin_api.get("/cis/a%00b")

    assert answer.status_code == 404
    assert answer.json()["message"]


@pytest.mark.parametrize(("name", "value"), [("offset", str(2**63)), ("offset", "-1"), ("limit", str(10**30))])
def test_an_absurd_page_is_400_on_every_list(admin_api: ApiClient, name: str, value: str) -> None:
    lists = [
        (path, operation)
        for path, _, operation in _operations("get")
        if any(parameter["name"] == "offset" for parameter in operation.get("parameters", ()))
    ]
    assert len(lists) >= 5
    for path, operation in lists:
        declared = next(parameter for parameter in operation["parameters"] if parameter["name"] == name)
        assert "maximum" in declared["schema"], f"GET {path} declares no maximum {name}"
        answer = admin_api.get(f"{_url(path)}?{name}={value}")
        assert (answer.status_code, answer.json()["field"]) == (400, name), f"GET {path}?{name}={value}"


# --- length limits: the action is the rule; the schema and the form say the same ---------------


def test_free_text_limits_are_declared_in_the_document() -> None:
    schemas = openapi()["components"]["schemas"]
    assert schemas["IncidentIn"]["properties"]["description"]["maxLength"] == DESCRIPTION_MAX
    assert schemas["CommentIn"]["properties"]["body"]["maxLength"] == COMMENT_MAX
    assert schemas["TransitionIn"]["properties"]["resolution_notes"]["maxLength"] == NOTE_MAX


def test_too_long_a_description_is_refused_by_the_api_the_form_and_the_action(
    api: Api, agent: User, requester: User
) -> None:
    long = "x" * (DESCRIPTION_MAX + 1)
    answer = api(agent).post("/incidents", {"title": "Slow VPN", "description": long})
    assert (answer.status_code, answer.json()["field"]) == (400, "description")

    client = Client()
    assert client.login(username=agent.username, password=PASSWORD)
    page = client.post("/incidents/new/", {"title": "Slow VPN", "description": long, "caller": requester.username})
    assert b"at most 20000 characters" in page.content or b"at most 20,000 characters" in page.content

    with pytest.raises(InvalidInput, match="description is 20,001 characters"):
        open_incident(actor=agent, caller=requester, title="Slow VPN", description=long)
    assert not Incident.objects.exists()


def test_too_long_a_comment_or_note_is_refused_by_the_action(agent: User, requester: User, service_desk: Any) -> None:
    incident = open_in_progress(agent, requester, service_desk)
    with pytest.raises(InvalidInput, match="body is"):
        add_comment(incident, actor=agent, body="x" * (COMMENT_MAX + 1), public=True)
    with pytest.raises(InvalidInput, match="resolution_notes is"):
        transition_incident(
            incident,
            IncidentState.RESOLVED,
            actor=agent,
            resolution_code=ResolutionCode.SOLVED_REMOTELY,
            resolution_notes="x" * (NOTE_MAX + 1),
        )
    assert not TimelineEntry.objects.filter(kind="comment").exists()
    assert Incident.objects.get(pk=incident.pk).state == IncidentState.IN_PROGRESS


def test_a_cmdb_description_past_the_limit_is_refused_by_the_action(ci_types: dict[str, CIType]) -> None:
    with pytest.raises(InvalidInput, match="Description"):
        create_ci(
            actor=None, name="db-1", ci_type=ci_types["server"], fields={"description": "x" * (DESCRIPTION_MAX + 1)}
        )
    assert not ConfigurationItem.objects.exists()


# --- CSV rows ------------------------------------------------------------------------------------


def test_a_csv_row_with_a_nul_imports_nothing_and_names_line_and_column(api: Api, config_manager: User) -> None:
    client = api(config_manager)
    csv = "name,type\nweb-1,server\nda\x00ta,server\n"
    answer = client.client.post(
        "/api/v1/cmdb/import/cis", csv.encode(), content_type="text/csv", headers=client.headers
    )

    assert (answer.status_code, answer.json()["field"]) == (400, "name")
    assert "Line 3" in answer.json()["message"]
    assert not ConfigurationItem.objects.exists()


# --- request bodies past the limit ---------------------------------------------------------------


def test_a_declared_body_past_the_upload_limit_is_413_before_it_is_read(
    api: Api, config_manager: User, settings: Any
) -> None:
    settings.KEEL_UPLOAD_MAX_BYTES = 1000
    client = api(config_manager)
    answer = client.client.post(
        "/api/v1/cmdb/import/cis", b"name,type\n" + b"x,server\n" * 200, content_type="text/csv", headers=client.headers
    )

    assert answer.status_code == 413
    assert "1,000 bytes" in answer.json()["message"]
    assert not ConfigurationItem.objects.exists()


def test_an_upload_past_the_limit_in_the_console_is_413(agent: User, incident: Incident, settings: Any) -> None:
    settings.KEEL_UPLOAD_MAX_BYTES = 1000
    client = Client()
    assert client.login(username=agent.username, password=PASSWORD)
    upload = ("big.txt", b"x" * 5000)
    answer = client.post(f"/incidents/{incident.number}/attach/", {"file": _file(*upload)})

    assert answer.status_code == 413
    assert b"1,000 bytes" in answer.content


def _file(name: str, content: bytes) -> Any:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def test_a_chunked_body_that_grows_past_the_limit_is_cut_off(transactional_db: None, settings: Any) -> None:
    settings.KEEL_UPLOAD_MAX_BYTES = 1000
    status, _headers, content = _call(
        "POST", "/integrations/alertmanager/some-secret", b"{" + b" " * 5000 + b"}", chunked=True
    )

    assert status.startswith("413")
    assert json.loads(content)["message"].startswith("The body is too large")


def test_a_query_parameter_given_twice_is_refused_naming_it(api: Api, agent: User) -> None:
    answer = api(agent).get("/reports/hotspots?since=2026-10-01&since=2026-10-02")

    assert (answer.status_code, answer.json()["field"]) == (400, "since")


def test_an_empty_date_or_a_number_for_a_time_is_refused(api: Api, agent: User) -> None:
    assert api(agent).get("/reports/hotspots?until=").json()["field"] == "until"
    assert api(agent).get("/sla/compliance?until=0.5").status_code == 400


def test_a_yes_no_field_takes_true_or_false_only(api: Api, agent: User, incident: Incident) -> None:
    client = api(agent)
    comment = client.post(f"/incidents/{incident.number}/comments", {"body": "Rebooted.", "public": 0})
    upload = client.client.post(
        f"/api/v1/incidents/{incident.number}/attachments",
        {"file": SimpleUploadedFile("log.txt", b"ok"), "public": "0"},
        headers=client.headers,
    )

    assert (comment.status_code, comment.json()["field"]) == (400, "public")
    assert (upload.status_code, upload.json()["field"]) == (400, "public")
    assert not TimelineEntry.objects.filter(subject_id=incident.pk, body="Rebooted.").exists()


def test_an_empty_choice_is_refused_not_read_as_the_default(api: Api, agent: User) -> None:
    assert api(agent).get("/reports/hotspots.csv?by=").json()["field"] == "by"
