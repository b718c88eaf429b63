"""Secrets out of the logs: a refused inbound request is logged with its path, and the source's
secret in that path (or a token in an Authorization header) is written as [redacted], whatever the
logger; read from the handlers Keel's LOGGING installs, and from a real `keel serve`."""

import logging
import os
import re
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern

from keel.integrations.actions.sources import _new_secret, create_source, revoke_source
from keel.integrations.states import SourceKind
from keel.integrations.urls import inbound_patterns
from keel.lib.logs import REDACTED, RedactSecrets, redact
from tests.live import KEEL, free_port, get, serve, stop

SECRET = "Hq3vU0x-2mZs_9PqLr8TnB4wYc7KdE1f"  # the shape of a source's secret: token_urlsafe(24)


def redacted(text: str) -> str:
    return redact(text, inbound_paths=settings.KEEL_BARE_PATHS)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            f"Unauthorized: /integrations/alertmanager/{SECRET}",
            "Unauthorized: /integrations/alertmanager/[redacted]",
        ),
        (
            f'127.0.0.1 - "POST /integrations/prometheus/{SECRET}/api/v2/alerts HTTP/1.1" 401 0.7',
            '127.0.0.1 - "POST /integrations/prometheus/[redacted]/api/v2/alerts HTTP/1.1" 401 0.7',
        ),
        (f"Bad Request: /integrations/generic/{SECRET}?x=1", "Bad Request: /integrations/generic/[redacted]?x=1"),
        ("Authorization: Bearer keel_abcdefghijklmnopqrstuvwxyz012345", "Authorization: Bearer [redacted]"),
        ("{'Authorization': 'Basic dXNlcjpwYXNz'}", "{'Authorization': 'Basic [redacted]'}"),
        ("token keel_abcdefghijklmnopqrstuvwxyz012345 used", "token keel_[redacted] used"),
        ('{"routing_key": "0123456789abcdef0123456789abcdef"}', '{"routing_key": "[redacted]"}'),
        # Nothing secret: Keel's own route words, console pages, ordinary text.
        ("Not Found: /integrations/pagerduty/v2/enqueue", "Not Found: /integrations/pagerduty/v2/enqueue"),
        (
            "Unauthorized: /integrations/prometheus/api/v2/alerts",
            "Unauthorized: /integrations/prometheus/api/v2/alerts",
        ),
        ("Not Found: /integrations/sources/12/", "Not Found: /integrations/sources/12/"),
        ("GET /incidents/INC0000042/ 200", "GET /incidents/INC0000042/ 200"),
    ],
)
def test_secrets_are_redacted_and_nothing_else(line: str, expected: str) -> None:
    assert redacted(line) == expected


@pytest.mark.parametrize("route", [p for p in inbound_patterns if "<str:secret>" in str(p.pattern)], ids=str)
@pytest.mark.parametrize("kind", list(SourceKind))
def test_every_inbound_url_with_a_secret_is_covered(route: URLPattern, kind: SourceKind) -> None:
    secret = _new_secret(kind)
    path = "/integrations/" + re.sub(r"<str:secret>", secret, str(route.pattern))

    assert secret not in redacted(f"Unauthorized: {path}")


def test_every_handler_keel_configures_redacts() -> None:
    handlers = settings.LOGGING["handlers"]

    assert handlers
    assert all("secrets" in handler.get("filters", []) for handler in handlers.values())
    assert settings.LOGGING["filters"]["secrets"]["()"] == "keel.lib.logs.RedactSecrets"
    # Django's and granian's loggers write through Keel's handlers only.
    loggers = settings.LOGGING["loggers"]
    assert (loggers["django"]["handlers"], loggers["granian.access"]["handlers"]) == ([], ["console"])


@pytest.fixture
def written() -> Iterator[StringIO]:
    """What Keel's configured handlers write, while the test runs."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler, logging.StreamHandler) and any(isinstance(f, RedactSecrets) for f in handler.filters)
    ]
    assert handlers, "Keel's LOGGING installs no redacting handler on the root logger"
    buffer = StringIO()
    previous = [handler.setStream(buffer) for handler in handlers]
    yield buffer
    for handler, stream in zip(handlers, previous, strict=True):
        handler.setStream(stream)


@pytest.mark.django_db
def test_a_refused_inbound_request_is_logged_without_its_secret(written: StringIO) -> None:
    issued = create_source(actor=None, name="prod-alertmanager", kind=SourceKind.ALERTMANAGER)
    revoke_source(issued.source, actor=None)
    path = issued.url.split("://", 1)[1].split("/", 1)[1]

    refused = Client().post(f"/{path}", b"{}", content_type="application/json")
    token = Client().get("/api/v1/incidents", headers={"Authorization": f"Bearer keel_{SECRET}"})

    log = written.getvalue()
    assert (refused.status_code, token.status_code) == (401, 401)
    assert f"Unauthorized: /integrations/alertmanager/{REDACTED}" in log
    assert issued.secret not in log
    assert SECRET not in log


def test_a_real_server_logs_a_refused_request_without_its_secret(tmp_path: Path) -> None:
    """`keel serve --access-log`: granian's access line and Django's warning both name the path."""
    env = {
        "KEEL_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/keel.sqlite3",
        "PORT": str(free_port()),
    }
    subprocess.run([KEEL, "migrate", "--no-input", "-v0"], env={**os.environ, **env}, check=True, timeout=120)
    server = serve(env, "--no-worker", "--web-workers", "1", "--access-log", log=subprocess.PIPE)
    try:
        status, _ = get(f"{server.base_url}/integrations/alertmanager/{SECRET}")
        posted = urllib.request.Request(f"{server.base_url}/integrations/generic/{SECRET}", data=b"{}", method="POST")
        refused, _ = get_request(posted)
        server.process.send_signal(signal.SIGTERM)
        output = server.process.communicate(timeout=30)[0].decode()
    finally:
        stop(server.process)

    assert (status, refused) == (405, 401)
    assert f"/integrations/generic/{REDACTED}" in output
    assert "granian.access" in output
    assert SECRET not in output, output


def get_request(request: urllib.request.Request) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
