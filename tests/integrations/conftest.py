"""Sources of every kind, the captured payloads, and a client that posts them as the senders did."""

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client

from keel.accounts.models import User
from keel.audit.models import AuditRecord
from keel.cmdb.models import Service
from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.sources import IssuedSecret, create_source
from keel.integrations.events import AlertAcknowledged, IncidentOpenedFromAlerts
from keel.integrations.inbound.generic.presets import PRESETS
from keel.integrations.models import Alert
from keel.integrations.states import SourceKind
from keel.lib.events import _subscriptions
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


def field_names(model: type[Model]) -> set[str]:
    """The model's concrete fields, by name: what a drift test holds a hand-kept list to."""
    return {field.name for field in model._meta.concrete_fields}


def audit(subject_type: str, subject_id: int) -> list[tuple[str, str, str, str]]:
    """A record's audit rows, oldest first: (who, field, old, new); Keel itself is "Keel"."""
    rows = AuditRecord.objects.filter(subject_type=subject_type, subject_id=subject_id).select_related("actor")
    return [(str(row.actor or "Keel"), row.field, row.old_value, row.new_value) for row in rows.order_by("pk")]


def doors(subject_type: str, subject_id: int) -> list[tuple[str, str]]:
    """A record's audit rows, oldest first, as (field, the door the change came through)."""
    rows = AuditRecord.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("pk")
    return list(rows.values_list("field", "channel"))


# What monitoring publishes, delivered to the ``published`` fixture's list instead of config/subscriptions.py.
SUBSCRIPTIONS: dict[type, list[Callable[[Any], None]]] = {}


@pytest.fixture
def published(settings: Any) -> Iterator[list[object]]:
    """The events monitoring publishes, in order, once their transaction commits (run the on-commit
    callbacks with ``django_capture_on_commit_callbacks(execute=True)``)."""
    seen: list[object] = []
    settings.KEEL_SUBSCRIPTIONS = "tests.integrations.conftest.SUBSCRIPTIONS"
    SUBSCRIPTIONS.clear()
    SUBSCRIPTIONS.update({AlertAcknowledged: [seen.append], IncidentOpenedFromAlerts: [seen.append]})
    _subscriptions.cache_clear()
    yield seen
    _subscriptions.cache_clear()
