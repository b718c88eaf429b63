"""One way to fail (DESIGN §4.7, §4.9): every answer under /api/ and the inbound URLs is JSON
``{message, field}``, whichever layer refused or broke; the console keeps its pages; a database
that does not answer is 503 with Retry-After; anything unexpected is a 500 that hides internals
and logs the traceback."""

import logging
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from keel.accounts.models import User
from keel.incidents.models import Incident
from tests.api_schema import openapi
from tests.config.test_wsgi import _call
from tests.conftest import PASSWORD, ApiClient


def _json(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = dict(orjson.loads(response.content))
    assert isinstance(body["message"], str)
    assert body["message"]
    assert "field" in body
    return body


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("secret internals: /srv/keel/db password=hunter2")


def _database_down(*args: Any, **kwargs: Any) -> Any:
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


# --- the API -----------------------------------------------------------------------------------


def test_an_unknown_api_address_is_json_404(api: Callable[[User], ApiClient], agent: User) -> None:
    response = api(agent).get("/no-such-thing")

    assert response.status_code == 404
    assert "/api/v1/docs" in _json(response)["message"]


def test_a_method_the_address_does_not_take_is_json_405_with_allow(
    api: Callable[[User], ApiClient], agent: User
) -> None:
    response = api(agent).client.put("/api/v1/incidents", {}, content_type="application/json", **_bearer(api, agent))

    assert response.status_code == 405
    assert "PUT is not allowed" in _json(response)["message"]
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def _bearer(api: Callable[[User], ApiClient], user: User) -> dict[str, Any]:
    return {"headers": api(user).headers}


def test_no_token_is_json_401_with_a_challenge(db: None) -> None:
    response = Client().get("/api/v1/incidents")

    assert response.status_code == 401
    assert "Bearer" in _json(response)["message"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_body_that_is_not_json_is_400(api: Callable[[User], ApiClient], agent: User) -> None:
    client = api(agent)
    response = client.client.post(
        "/api/v1/incidents", b'{"title": "x",', content_type="application/json", headers=client.headers
    )

    assert response.status_code == 400
    assert "not valid JSON" in _json(response)["message"]
    assert not Incident.objects.exists()


def test_a_body_of_another_type_is_415(api: Callable[[User], ApiClient], agent: User) -> None:
    client = api(agent)
    response = client.client.post("/api/v1/incidents", "title=x", content_type="text/plain", headers=client.headers)

    assert response.status_code == 415
    assert "application/json" in _json(response)["message"]


def test_a_body_past_the_memory_limit_is_413(api: Callable[[User], ApiClient], agent: User, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api(agent).post("/incidents", {"title": "x", "description": "y" * 2000})

    assert response.status_code == 413
    assert "1,000 bytes" in _json(response)["message"]
    assert not Incident.objects.exists()


def test_an_unexpected_exception_is_a_500_that_hides_internals_and_is_logged(
    api: Callable[[User], ApiClient], agent: User, incident: Incident, monkeypatch: Any, caplog: Any
) -> None:
    monkeypatch.setattr("keel.incidents.api.incident_document_for", _boom)
    with caplog.at_level(logging.ERROR, logger="keel.failures"):
        response = api(agent).get(f"/incidents/{incident.number}")

    assert response.status_code == 500
    body = _json(response)
    assert "hunter2" not in response.content.decode()
    assert "logged" in body["message"]
    (record,) = [record for record in caplog.records if record.name == "keel.failures"]
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_database_that_does_not_answer_is_503_with_retry_after(
    error: type[Exception], api: Callable[[User], ApiClient], incident: Incident, monkeypatch: Any, settings: Any
) -> None:
    agent = User.objects.get(username="alice")
    settings.KEEL_RETRY_AFTER_SECONDS = 7

    def down(*args: Any, **kwargs: Any) -> Any:
        raise error("server closed the connection unexpectedly")

    monkeypatch.setattr("keel.incidents.api.incident_document_for", down)
    response = api(agent).get(f"/incidents/{incident.number}")

    assert response.status_code == 503
    assert "7 seconds" in _json(response)["message"]
    assert response["Retry-After"] == "7"


def test_a_database_down_while_the_token_is_checked_is_503(
    api: Callable[[User], ApiClient], agent: User, monkeypatch: Any
) -> None:
    client = api(agent)
    monkeypatch.setattr("keel.accounts.api.user_for_token", _database_down)
    response = client.get("/incidents")

    assert response.status_code == 503
    assert response["Retry-After"]
    _json(response)


def test_the_openapi_document_declares_the_error_answers_of_every_operation(db: None) -> None:
    document = openapi()
    assert set(document["components"]["schemas"]["ErrorOut"]["required"]) == {"message", "field"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            expected = {"400", "403", "404", "500", "503"}
            expected |= {"401"} if operation.get("security") else set()
            expected |= {"413", "415"} if "requestBody" in operation else set()
            expected |= {"409", "412", "422"} if method in {"post", "put", "patch", "delete"} else set()
            assert expected <= declared, f"{method.upper()} {path} declares only {sorted(declared)}"
            assert "Retry-After" in operation["responses"]["503"]["headers"]


# --- the inbound URLs, through the WSGI application Keel serves ----------------------------------


def test_an_inbound_url_answers_a_get_with_json_405(db: None) -> None:
    status, headers, content = _call("GET", "/integrations/alertmanager/some-secret")

    assert status.startswith("405")
    assert headers["Allow"] == "POST"
    assert orjson.loads(content)["message"] == "GET is not allowed at this address; use POST."


def test_an_unknown_inbound_address_is_json_404(db: None) -> None:
    status, headers, content = _call("POST", "/integrations/alertmanager/a/b/c", b"{}")

    assert status.startswith("404")
    assert headers["Content-Type"] == "application/json"
    assert orjson.loads(content)["field"] is None


def test_an_unknown_api_address_through_the_wsgi_application_is_json_404(db: None) -> None:
    status, _headers, content = _call("GET", "/api/v1/nothing-here")

    assert status.startswith("404")
    assert orjson.loads(content)["message"].startswith("Nothing is at this address")


def test_an_api_method_not_allowed_through_the_wsgi_application_is_json_405(db: None) -> None:
    status, _headers, content = _call("DELETE", "/api/v1/incidents")

    assert status.startswith("405")
    assert "DELETE is not allowed" in orjson.loads(content)["message"]


def test_a_database_down_at_an_inbound_url_is_503_json(db: None, monkeypatch: Any) -> None:
    monkeypatch.setattr("keel.integrations.views.inbound.receive", _database_down)
    client = Client(raise_request_exception=False)
    response = client.post("/integrations/alertmanager/secret", {}, content_type="application/json")

    assert response.status_code == 503
    assert response["Retry-After"]
    assert "secret" not in _json(response)["message"]


# --- the console keeps its pages -----------------------------------------------------------------


def _signed_in(user: User) -> Client:
    client = Client(raise_request_exception=False)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_console_answers_a_database_outage_with_a_plain_503_page(agent: User, monkeypatch: Any) -> None:
    client = _signed_in(agent)
    monkeypatch.setattr("keel.incidents.views.queue.incident_page", _database_down)
    response = client.get("/incidents/")

    assert response.status_code == 503
    assert response["Retry-After"]
    assert response["Content-Type"].startswith("text/html")
    assert b"Keel is unavailable for a moment" in response.content


def test_the_console_answers_a_crash_with_a_plain_500_page(agent: User, monkeypatch: Any) -> None:
    client = _signed_in(agent)
    monkeypatch.setattr("keel.incidents.views.queue.incident_page", _boom)
    response = client.get("/incidents/")

    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"hunter2" not in response.content


def test_the_console_keeps_its_404_page(agent: User) -> None:
    response = _signed_in(agent).get("/no-such-page/")

    assert response.status_code == 404
    assert b"There is nothing here that you can see" in response.content


def test_a_multipart_body_without_its_boundary_is_400(api, agent, incident):
    answer = api(agent).client.post(
        f"/api/v1/incidents/{incident.number}/attachments",
        b"--x\r\n",
        content_type="multipart/form-data",
        headers={**api(agent).headers, "Idempotency-Key": "k1"},
    )

    assert answer.status_code == 400
    assert answer.json()["message"].startswith("The body is not valid multipart/form-data")
