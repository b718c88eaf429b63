"""The monitoring API's doors: 401 without a token; staff read, managers write, a requester reads nothing."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from keel.accounts.models import User
from keel.integrations.actions.sources import IssuedSecret
from keel.integrations.models import CorrelationRule, MaintenanceWindow, Payload, Source
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], ApiClient]


@pytest.mark.parametrize(
    "path",
    ["/sources", "/alerts", "/alerts/1", "/maintenance-windows", "/correlation-rules", "/changes", "/sources/1"],
)
def test_without_a_token_every_call_is_401(db: None, path: str) -> None:
    response = Client().get(f"/api/v1{path}")

    assert response.status_code == 401
    assert "Authorization: Bearer <token>" in response.json()["message"]


@pytest.mark.parametrize("path", ["/sources", "/alerts", "/maintenance-windows", "/correlation-rules", "/changes"])
def test_a_requester_reads_nothing_here(api: Api, requester: User, path: str) -> None:
    response = api(requester).get(path)

    assert (response.status_code, response.json()["message"]) == (403, "Alerts and monitoring are for IT staff.")


@pytest.mark.parametrize("role", ["agent", "resolver", "requester"])
@pytest.mark.parametrize(
    "call",
    [
        ("post", "/sources", ({"name": "x", "kind": "alertmanager"},)),
        ("patch", "/sources/{source}", ({"description": "x"},)),
        ("delete", "/sources/{source}", ()),
        ("post", "/sources/{source}/rotate", ()),
        ("post", "/sources/{source}/test", ()),
        (
            "post",
            "/maintenance-windows",
            ({"name": "x", "starts_at": "2026-11-27T22:00:00Z", "ends_at": "2026-11-27T23:00:00Z", "ci": "db1"},),
        ),
        ("post", "/correlation-rules", ({"name": "x"},)),
        ("patch", "/correlation-rules/{rule}", ({"is_active": False},)),
    ],
)
def test_only_managers_write(
    request: pytest.FixtureRequest,
    api: Api,
    sources: dict[str, IssuedSecret],
    role: str,
    call: tuple[str, str, tuple[dict[str, Any], ...]],
) -> None:
    method, path, body = call
    source = sources["alertmanager"].source
    rule = CorrelationRule.objects.order_by("pk").first()
    assert rule is not None
    client = api(request.getfixturevalue(role))
    url = path.format(source=source.pk, rule=rule.pk)

    response = getattr(client, method)(url, *body)

    stored = Source.objects.get(pk=source.pk)
    assert response.status_code == 403
    assert "Only incident managers and administrators manage monitoring" in response.json()["message"]
    assert (Source.objects.count(), stored.token_hash, stored.revoked_at, stored.description) == (
        4,
        source.token_hash,
        None,
        "",
    )
    assert (Payload.objects.count(), MaintenanceWindow.objects.count(), CorrelationRule.objects.count()) == (0, 0, 3)
    assert CorrelationRule.objects.get(pk=rule.pk).is_active
