"""``/healthz`` and ``/readyz`` (lib/health.py) as a load balancer asks them: no session, no token,
JSON answers, 503 while Keel cannot do its work, and the reason in words."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from keel.integrations.actions.sources import create_source
from keel.integrations.states import SourceKind
from keel.lib import health
from keel.scheduler.actions import beat
from tests.integrations.conftest import DISK_FULL, captured

pytestmark = pytest.mark.django_db


def _get(path: str) -> tuple[int, dict[str, Any], Any]:
    answer = Client().get(path)
    return answer.status_code, json.loads(answer.content), answer


def _stored_payloads(count: int) -> None:
    """``count`` Alertmanager notifications stored by the intake, none processed yet (no worker runs)."""
    url = create_source(actor=None, name="probe-test", kind=SourceKind.ALERTMANAGER).url
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    body = json.dumps(captured("alertmanager", DISK_FULL)["json"])
    for _ in range(count):
        assert Client().post(path, body, content_type="application/json").status_code == 202


def test_healthz_says_the_process_answers_without_asking_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        status, body, answer = _get("/healthz")

    assert (status, body) == (200, {"status": "ok"})
    assert "Set-Cookie" not in answer, "no session for probes"


def test_readyz_is_ready_with_a_fresh_worker_heartbeat_and_a_short_backlog():
    beat("host-1", now=timezone.now() - timedelta(seconds=5))
    _stored_payloads(2)

    status, body, answer = _get("/readyz")

    assert status == 200
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True, "message": "the database answers"}
    assert body["checks"]["workers"]["ok"] is True
    assert body["checks"]["workers"]["message"].startswith("a worker beat ")
    assert body["checks"]["intake"] == {
        "ok": True,
        "message": "2 monitoring payloads wait to be processed",
        "pending": 2,
        "most": 10000,
    }
    assert answer["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in answer


def test_readyz_is_not_ready_before_any_worker_has_run():
    status, body, _ = _get("/readyz")

    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"]["workers"] == {
        "ok": False,
        "message": "no worker has ever run: start keel worker",
        "seconds": None,
        "most": 60.0,
    }


def test_readyz_is_not_ready_when_the_last_heartbeat_is_older_than_the_limit(settings):
    settings.KEEL_READY_WORKER_SECONDS = 30
    beat("host-1", now=timezone.now() - timedelta(seconds=45))

    status, body, _ = _get("/readyz")

    assert status == 503
    assert body["checks"]["workers"]["ok"] is False
    assert body["checks"]["workers"]["message"].endswith("s old (at most 30): are the workers running?")


def test_a_web_only_host_does_not_check_the_workers(settings):
    settings.KEEL_READY_WORKER_SECONDS = 0

    status, body, _ = _get("/readyz")

    assert status == 200
    assert body["checks"]["workers"] == {"ok": True, "message": "not checked (KEEL_READY_WORKER_SECONDS is 0)"}


def test_readyz_is_not_ready_while_the_intake_backlog_reaches_the_limit(settings):
    settings.KEEL_READY_MAX_BACKLOG = 3
    beat("host-1", now=timezone.now())
    _stored_payloads(4)

    status, body, _ = _get("/readyz")

    assert status == 503
    assert body["checks"]["intake"] == {
        "ok": False,
        "message": "3 or more monitoring payloads wait to be processed: the workers are behind or stopped",
        "pending": 3,
        "most": 3,
    }


def test_the_backlog_is_not_checked_when_its_limit_is_zero(settings):
    settings.KEEL_READY_MAX_BACKLOG = 0
    beat("host-1", now=timezone.now())

    status, body, _ = _get("/readyz")

    assert status == 200
    assert body["checks"]["intake"] == {"ok": True, "message": "not checked (KEEL_READY_MAX_BACKLOG is 0)"}


def test_readyz_is_not_ready_while_the_database_does_not_answer_and_checks_nothing_else(monkeypatch):
    def refused() -> None:
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused\nIs it up?')

    monkeypatch.setattr(health, "ping", refused)

    status, body, _ = _get("/readyz")

    assert status == 503
    assert body["checks"] == {
        "database": {
            "ok": False,
            "message": 'failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused',
        },
        "workers": {"ok": False, "message": "not checked: no database"},
        "intake": {"ok": False, "message": "not checked: no database"},
    }


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_only_answer_reads(path):
    answer = Client().post(path)

    assert answer.status_code == 405
