"""The WSGI application Keel serves: monitoring's inbound URLs without the browser middleware,
everything else with it; its statements bounded in time, and a connection the database dropped
replaced after one failed request."""

import io
import json
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings
from django.core.signals import request_finished
from django.db import connection

from keel.accounts.actions import issue_api_token
from keel.accounts.models import User
from keel.accounts.roles import Role
from keel.config.wsgi import application
from keel.integrations.actions.sources import create_source
from keel.integrations.models import Payload
from keel.integrations.states import SourceKind
from keel.lib import watchdog
from keel.lib.database import postgres
from tests.integrations.conftest import captured


def _call(
    method: str, path: str, body: bytes = b"", *, authorization: str = "", chunked: bool = False
) -> tuple[str, dict[str, str], bytes]:
    """One request through the WSGI application; ``chunked``: as granian passes a chunked body
    (no Content-Length, the input ends where the body does)."""
    path, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "QUERY_STRING": query,
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
        "SERVER_NAME": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
    }
    if chunked:
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(len(body))
    if authorization:
        environ["HTTP_AUTHORIZATION"] = authorization
    setup_testing_defaults(environ)
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        answer.update(status=status, headers=dict(headers))

    content = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], content


def test_an_inbound_post_is_stored_without_session_or_csrf(transactional_db):
    issued = create_source(actor=None, name="am", kind=SourceKind.ALERTMANAGER)
    body = json.dumps(captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")["json"]).encode()

    status, headers, content = _call("POST", "/" + issued.url.split("/", 3)[3], body)

    assert status.startswith("202")
    assert json.loads(content)["alerts"] == 1
    assert "Set-Cookie" not in headers
    assert "X-Frame-Options" not in headers  # no browser middleware ran
    assert Payload.objects.count() == 1


def test_the_console_keeps_every_browser_protection(transactional_db):
    status, headers, _ = _call("GET", "/sign-in/")

    assert status.startswith("200")
    assert headers["X-Frame-Options"] == "DENY"
    assert "csrftoken" in headers.get("Set-Cookie", "")


def test_the_api_skips_the_browser_middleware_but_keeps_its_security_headers(transactional_db):
    user = User.objects.create_user(username="ana", password="x", role=Role.AGENT)
    token = issue_api_token(user, name="wsgi").raw

    status, headers, content = _call("GET", "/api/v1/incidents?limit=1", authorization=f"Bearer {token}")
    refused, _, problem = _call("GET", "/api/v1/incidents?limit=1")

    assert status.startswith("200")
    assert json.loads(content)["count"] == 0
    assert (headers["X-Content-Type-Options"], headers["X-Frame-Options"]) == ("nosniff", "DENY")
    assert "Set-Cookie" not in headers
    assert refused.startswith("401")
    assert "message" in json.loads(problem)


def test_a_machines_answer_goes_to_the_server_whole_and_the_request_is_finished(transactional_db):
    user = User.objects.create_user(username="ana", password="x", role=Role.AGENT)
    token = issue_api_token(user, name="wsgi").raw
    environ: dict[str, Any] = {"PATH_INFO": "/api/v1/incidents", "HTTP_AUTHORIZATION": f"Bearer {token}"}
    setup_testing_defaults(environ)
    finished: list[object] = []

    def note(**_: object) -> None:
        finished.append(True)

    request_finished.connect(note)
    try:
        body = application(environ, lambda status, headers, exc_info=None: None)
    finally:
        request_finished.disconnect(note)

    # A list of bytes: the server writes it at once with its length, not in chunks.
    assert isinstance(body, list)
    assert json.loads(b"".join(body))["count"] == 0
    assert finished  # the signal that recycles database connections has run


def test_the_web_application_cuts_a_statement_a_frozen_server_never_answers():
    assert watchdog.WATCHDOG is not None
    assert watchdog.WATCHDOG.limit == settings.KEEL_DB_STATEMENT_TIMEOUT + watchdog.GRACE


@pytest.mark.skipif(not postgres(), reason="PostgreSQL's statement_timeout")
def test_the_web_application_s_connections_have_postgresql_cancel_long_statements(transactional_db):
    fresh = connection.copy()
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            shown = cursor.fetchone()
    finally:
        fresh.close()

    assert shown == ("30s",)


@pytest.mark.skipif(not postgres(), reason="a server that drops a connection (SQLite has none)")
def test_a_connection_the_database_dropped_fails_one_request_and_the_next_one_reconnects(transactional_db):
    user = User.objects.create_user(username="ana", password="x", role=Role.AGENT)
    authorization = f"Bearer {issue_api_token(user, name='wsgi').raw}"
    before, _, _ = _call("GET", "/api/v1/incidents?limit=1", authorization=authorization)
    killer = connection.copy()
    try:
        with killer.cursor() as cursor:  # what a database restart does to every open connection
            cursor.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    finally:
        killer.close()

    failed, _, _ = _call("GET", "/api/v1/incidents?limit=1", authorization=authorization)
    after, _, content = _call("GET", "/api/v1/incidents?limit=1", authorization=authorization)

    assert before.startswith("200")
    assert failed[0] == "5", "the request on the dropped connection fails"
    assert after.startswith("200"), "the next request opens a new connection"
    assert json.loads(content)["count"] == 0
