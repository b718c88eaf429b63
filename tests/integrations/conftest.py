"""Sources of every kind, the captured payloads, and a client that posts them as the senders did."""

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from keel.accounts.models import User
from keel.cmdb.models import Service
from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.sources import IssuedSecret, create_source
from keel.integrations.inbound.generic.presets import PRESETS
from keel.integrations.models import Alert
from keel.integrations.states import SourceKind
from tests.conftest import PASSWORD, Graph

INBOUND = Path(__file__).parent / "inbound"


def captured(sender: str, name: str) -> dict[str, Any]:
    """A captured request (method, path, headers, json) from tests/integrations/inbound/<sender>/fixtures."""
    loaded: dict[str, Any] = json.loads((INBOUND / sender / "fixtures" / f"{name}.json").read_text())
    return loaded


def received_at(request: dict[str, Any]) -> datetime:
    return datetime.strptime(request["received_at"], "%Y-%m-%dT%H:%M:%S%z")


@pytest.fixture
def sources(db: None) -> dict[str, IssuedSecret]:
    return {
        "alertmanager": create_source(actor=None, name="prod-alertmanager", kind=SourceKind.ALERTMANAGER),
        "prometheus": create_source(actor=None, name="prod-prometheus", kind=SourceKind.PROMETHEUS),
        "pagerduty": create_source(actor=None, name="ci-runner", kind=SourceKind.PAGERDUTY),
        "grafana": create_source(actor=None, name="grafana", kind=SourceKind.GENERIC, mapping=PRESETS["grafana"]),
    }


class Sender:
    """Posts bodies to Keel's inbound URLs the way monitoring tools do (no session, no CSRF token)."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)

    def post(self, url: str, body: object, **headers: str) -> Any:
        path = url.split("://", 1)[-1].split("/", 1)[1]
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.client.generic("POST", f"/{path}", raw, content_type="application/json", headers=headers)


@pytest.fixture
def sender() -> Sender:
    return Sender()


@pytest.fixture
def post(sender: Sender, sources: dict[str, IssuedSecret]) -> Callable[..., Any]:
    """``post("alertmanager", body)``: to that source's URL as Keel printed it."""

    def send(name: str, body: object, *, path: str = "", **headers: str) -> Any:
        return sender.post(sources[name].url + path, body, **headers)

    return send


def signed_in(user: User) -> Client:
    """A console client signed in as ``user`` through Keel's own sign-in."""
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


DISK_FULL = "alertmanager-0.25-webhook-v4-group-of-two"


@pytest.fixture
def shop(build_graph: Callable[[list[str]], Graph]) -> Graph:
    """db1 and db2 under the Online shop."""
    cis = build_graph(["shop depends_on db1", "shop depends_on db2"])
    Service.objects.create(name="Online shop", ci=cis["shop"], users=5000, criticality=1)
    return cis


@pytest.fixture
def disk_full(post: Callable[..., Any], shop: Graph) -> dict[str, Alert]:
    """Two critical DiskFull alerts on db1 and db2, processed: one incident opened for the shop."""
    post("alertmanager", captured("alertmanager", DISK_FULL)["json"])
    process_pending()
    return {alert.labels["instance"].split(":")[0]: alert for alert in Alert.objects.all()}
