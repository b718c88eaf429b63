"""Idempotency-Key on the API's creates, through the real URLs: a retry gets the first answer, a
key reused for another request is 422, concurrent retries create once, and an acknowledged create
is stored with its key (or neither is)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.test.client import encode_multipart

from keel.accounts.actions import ensure_team
from keel.accounts.models import User
from keel.audit.models import AuditRecord
from keel.cmdb.actions.records import create_ci, ensure_default_ci_types
from keel.idempotency.models import IdempotencyKey
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.integrations.actions.sources import create_source
from keel.lib import clock
from keel.oncall.actions import create_schedule
from keel.sla.actions.setup import create_calendar
from tests.api_schema import openapi
from tests.conftest import ApiClient
from tests.threads import at_once

PREFIX: Final = "/api/v1"
KEY: Final = "Idempotency-Key"
OFFICE: Final = [{"weekday": "mon", "opens": "09:00", "closes": "17:00"}]
NOW: Final = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
# Creates that take no key, with why.
NO_KEY: Final = {("post", "/sources"): "its answer holds the source's secret, which Keel never stores"}


def _incident(admin: User, caller: User) -> str:
    return f"/incidents/{open_incident(actor=admin, caller=caller, title='Mail is down').number}"


def _window() -> dict[str, Any]:
    return {
        "name": "DB upgrade",
        "starts_at": "2030-01-01T22:00:00Z",
        "ends_at": "2030-01-01T23:00:00Z",
        "matchers": [{"label": "env", "op": "=", "value": "prod"}],
    }


def _two_cis() -> dict[str, Any]:
    server = ensure_default_ci_types()["server"]
    create_ci(actor=None, name="app1", ci_type=server)
    create_ci(actor=None, name="db1", ci_type=server)
    return {"source": "app1", "target": "db1", "kind": "depends_on"}


def _policy() -> dict[str, Any]:
    create_calendar(actor=None, fields={"name": "Office", "zone": "UTC", "windows": OFFICE})
    return {"name": "P1", "calendar": "Office", "priority": 1, "resolution_target_seconds": 3600}


def _source() -> str:
    return f"/sources/{create_source(actor=None, name='prod-am', kind='alertmanager').source.pk}"


UPLOAD: Final = "upload"
# (path, body or UPLOAD) of one create per operation that takes a key, given (admin, caller).
type Recipe = Callable[[User, User], tuple[str, Any]]
RECIPES: Final[dict[tuple[str, str], Recipe]] = {
    ("post", "/incidents"): lambda admin, caller: ("/incidents", {"title": "Mail is down", "caller": caller.username}),
    ("post", "/incidents/{number}/comments"): lambda admin, caller: (
        f"{_incident(admin, caller)}/comments",
        {"body": "Restarted the pool", "public": True},
    ),
    ("post", "/incidents/{number}/attachments"): lambda admin, caller: (
        f"{_incident(admin, caller)}/attachments",
        UPLOAD,
    ),
    ("post", "/ci-types"): lambda *_: ("/ci-types", {"slug": "queue", "name": "Queue"}),
    ("post", "/cis"): lambda *_: (
        "/cis",
        {"name": "db1", "type": next(iter(ensure_default_ci_types())), "criticality": 2},
    ),
    ("post", "/relationships"): lambda *_: ("/relationships", _two_cis()),
    ("post", "/services"): lambda *_: ("/services", _service()),
    ("post", "/sla/calendars"): lambda *_: ("/sla/calendars", {"name": "Office", "zone": "UTC", "windows": OFFICE}),
    ("post", "/sla/policies"): lambda *_: ("/sla/policies", _policy()),
    ("post", "/maintenance-windows"): lambda *_: ("/maintenance-windows", _window()),
    ("post", "/correlation-rules"): lambda *_: ("/correlation-rules", {"name": "Pages", "severities": ["critical"]}),
    ("post", "/sources/{reference}/test"): lambda *_: (f"{_source()}/test", None),
    ("post", "/routing/rules"): lambda *_: ("/routing/rules", {"name": "Wi-Fi", "assignment_group": _team()}),
    ("post", "/routing/groups"): lambda *_: ("/routing/groups", {"team": _team(), "strategy": "least_loaded"}),
    ("post", "/escalation/policies"): lambda *_: (
        "/escalation/policies",
        {"name": "P1", "steps": [{"when": "no_response", "minutes": 10, "notify": ["incident_managers"]}]},
    ),
    ("post", "/oncall/schedules"): lambda *_: (
        "/oncall/schedules",
        {"team": _team(), "name": "Network primary", "time_zone": "Europe/Berlin"},
    ),
    ("post", "/oncall/layers"): lambda admin, _: (
        "/oncall/layers",
        {
            "schedule": _schedule(),
            "name": "Weekly",
            "handoff_time": "09:00",
            "start_date": "2026-03-02",
            "members": [admin.username],
        },
    ),
    ("post", "/oncall/overrides"): lambda admin, _: (
        "/oncall/overrides",
        {
            "schedule": _schedule(),
            "person": admin.username,
            "starts_at": "2031-03-07T08:00:00Z",
            "ends_at": "2031-03-08T08:00:00Z",
        },
    ),
}


def _schedule() -> str:
    team = ensure_team(slug="network", name="Network")
    fields = {"team": team, "name": "Network primary", "time_zone": "Europe/Berlin"}
    return create_schedule(actor=None, fields=fields).name


def _team() -> str:
    return ensure_team(slug="network", name="Network").slug


def _ci() -> dict[str, Any]:
    ensure_default_ci_types()
    return {"name": "db1", "type": "server", "criticality": 2}


def _service() -> dict[str, Any]:
    ensure_default_ci_types()  # a service without a CI gets one of type business-service
    return {"name": "Shop", "users": 2500}


def send(client: ApiClient, path: str, body: Any, key: str | None, *, boundary: str = "BoUnDaRy") -> Any:
    headers = {**client.headers, **({KEY: key} if key is not None else {})}
    if body == UPLOAD:
        upload = SimpleUploadedFile("notes.txt", b"it broke at 10:05", "text/plain")
        content = encode_multipart(boundary, {"file": upload, "public": "true"})
        kind = f"multipart/form-data; boundary={boundary}"
        return client.client.post(f"{PREFIX}{path}", content, content_type=kind, headers=headers)
    return client.client.post(f"{PREFIX}{path}", body or {}, content_type="application/json", headers=headers)


def _snapshot() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_every_create_takes_a_key() -> None:
    creates = {
        (method, path.removeprefix(PREFIX))
        for path, methods in openapi()["paths"].items()
        for method, operation in methods.items()
        if method == "post" and {"201", "202"} & operation["responses"].keys()
    }
    taking = {
        (method, path.removeprefix(PREFIX))
        for path, methods in openapi()["paths"].items()
        for method, operation in methods.items()
        if any(param["name"] == KEY and param["in"] == "header" for param in operation.get("parameters", []))
    }

    assert sorted(creates - taking - NO_KEY.keys()) == [], "these create but take no key: decorate them @idempotent"
    assert sorted(taking - RECIPES.keys()) == [], "add a recipe for these to RECIPES"
    assert all("422" in openapi()["paths"][PREFIX + path][method]["responses"] for method, path in taking)


@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(RECIPES), ids=" ".join)
def test_each_create_answers_a_retry_with_its_first_answer(
    api: Callable[[User], ApiClient], admin_user: User, requester: User, operation: tuple[str, str]
) -> None:
    path, body = RECIPES[operation](admin_user, requester)
    client = api(admin_user)

    first = send(client, path, body, "create-1", boundary="FirstBoundary")
    stored = _snapshot()
    again = send(client, path, body, "create-1", boundary="AnotherBoundary")

    assert 200 <= first.status_code < 300, first.content
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert [again.get(name) for name in ("Content-Type", "Location", "ETag")] == [
        first.get(name) for name in ("Content-Type", "Location", "ETag")
    ]
    assert (first.get("Idempotent-Replayed"), again["Idempotent-Replayed"]) == (None, "true")
    assert _snapshot() == stored


def _create(client: ApiClient, key: str | None, **body: Any) -> Any:
    return send(client, "/incidents", {"title": "Mail is down", **body}, key)


@pytest.mark.django_db
def test_the_same_request_is_the_same_whatever_the_order_of_its_fields(
    api: Callable[[User], ApiClient], agent: User, requester: User
) -> None:
    client = api(agent)
    first = send(client, "/incidents", {"title": "Mail is down", "caller": "rita", "urgency": "high"}, "k")
    again = send(client, "/incidents", {"urgency": "high", "caller": "rita", "title": "Mail is down"}, '"k"')

    assert (first.status_code, again.status_code, again.content) == (201, 201, first.content)
    assert Incident.objects.count() == 1
    assert AuditRecord.objects.filter(subject_type="incident", field="created").count() == 1


@pytest.mark.django_db
def test_a_key_sent_with_another_request_is_422_and_creates_nothing(
    api: Callable[[User], ApiClient], agent: User
) -> None:
    client = api(agent)
    first = _create(client, "k")

    other_body = _create(client, "k", title="Printer is on fire")
    other_path = send(client, f"/incidents/{first.json()['number']}/comments", {"body": "Looking"}, "k")
    again = _create(client, "k")

    assert (other_body.status_code, other_path.status_code, again.status_code) == (422, 422, 201)
    assert other_body.json() == {
        "message": "The Idempotency-Key 'k' was first sent with another request (POST /api/v1/incidents, with "
        "other content); a retry must repeat the request exactly. Use a new key for a new request.",
        "field": KEY,
    }
    assert other_path.json()["field"] == KEY
    assert again.content == first.content
    assert (Incident.objects.count(), IdempotencyKey.objects.count()) == (1, 1)
    assert not AuditRecord.objects.filter(subject_type="incident", field="comment").exists()


@pytest.mark.django_db
def test_each_person_has_their_own_keys(api: Callable[[User], ApiClient], agent: User, resolver: User) -> None:
    mine, theirs = _create(api(agent), "k"), _create(api(resolver), "k")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine["Location"] != theirs["Location"]
    assert Incident.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "   ", "caf\xe9", "two words", "x" * 256])
def test_a_key_that_is_not_one_is_400_naming_the_header(
    api: Callable[[User], ApiClient], agent: User, key: str
) -> None:
    response = _create(api(agent), key)

    assert (response.status_code, response.json()["field"]) == (400, KEY)
    assert "visible ASCII characters" in response.json()["message"]
    assert Incident.objects.count() == 0


@pytest.mark.django_db
def test_a_refused_create_keeps_no_key_so_a_corrected_retry_runs(api: Callable[[User], ApiClient], agent: User) -> None:
    client = api(agent)

    refused = _create(client, "k", impact="urgent")
    corrected = _create(client, "k", impact="high")

    assert (refused.status_code, corrected.status_code) == (400, 201)
    assert IdempotencyKey.objects.get().status == 201


@pytest.mark.django_db
def test_a_forbidden_create_keeps_no_key(api: Callable[[User], ApiClient], requester: User, ci_types: Any) -> None:
    response = send(api(requester), "/cis", {"name": "db1", "type": "server"}, "k")

    assert response.status_code == 403
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_a_key_expires_after_a_day(api: Callable[[User], ApiClient], agent: User) -> None:
    client = api(agent)
    with clock.frozen_at(NOW):
        first = _create(client, "k")
    with clock.frozen_at(NOW + timedelta(hours=23)):
        kept = _create(client, "k")
    with clock.frozen_at(NOW + timedelta(hours=24, seconds=1)):
        later = _create(client, "k")

    assert (kept.content, later.status_code) == (first.content, 201)
    assert later["Location"] != first["Location"]
    assert Incident.objects.count() == 2


# --- a crash: before the create commits, nothing is kept; after, the key and its answer are -----


class CrashAfterCommit:
    """Stands for the web process dying once the create has committed but before its answer left."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.get_response(request)
        raise SystemExit("killed before answering")


@pytest.mark.django_db
def test_a_crash_after_the_create_leaves_the_key_with_its_answer(
    api: Callable[[User], ApiClient], agent: User, settings: Any
) -> None:
    settings.MIDDLEWARE = ["tests.idempotency.test_api.CrashAfterCommit", *settings.MIDDLEWARE]
    dying = api(agent)
    with pytest.raises(SystemExit):
        _create(dying, "k")
    settings.MIDDLEWARE = settings.MIDDLEWARE[1:]

    retry = _create(api(agent), "k")

    assert (retry.status_code, retry["Idempotent-Replayed"]) == (201, "true")
    assert retry["Location"] == f"/api/v1/incidents/{Incident.objects.get().number}"
    assert retry.json()["title"] == "Mail is down"


@pytest.mark.django_db
def test_a_crash_before_the_create_commits_keeps_neither(
    api: Callable[[User], ApiClient], agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api(agent)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away mid-create")

    monkeypatch.setattr("keel.incidents.actions.records.sync_sla", crash)
    crashed = _create(client, "k")  # the one error handler answers the crash: 500, logged
    monkeypatch.undo()

    assert crashed.status_code == 500

    retry = _create(client, "k")

    assert (retry.status_code, retry.get("Idempotent-Replayed")) == (201, None)
    assert (Incident.objects.count(), IdempotencyKey.objects.count()) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_once(
    api: Callable[[User], ApiClient], agent: User, requester: User
) -> None:
    clients = [api(agent) for _ in range(4)]

    answers = at_once(*(lambda client=client: _create(client, "k", caller="rita") for client in clients))

    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.content for answer in answers}) == 1
    assert sorted(answer.get("Idempotent-Replayed", "first") for answer in answers) == ["first", *["true"] * 3]
    assert (Incident.objects.count(), IdempotencyKey.objects.count()) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_their_own_keys_all_happen(api: Callable[[User], ApiClient], agent: User) -> None:
    clients = [api(agent) for _ in range(3)]

    answers = at_once(*(lambda index=index: _create(clients[index], f"k{index}") for index in range(3)))

    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert (Incident.objects.count(), IdempotencyKey.objects.count()) == (3, 3)
