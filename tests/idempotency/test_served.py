"""Retries against a real ``keel serve`` on the suite's database (SQLite or PostgreSQL): two web
processes with threads, many connections sending one create with one Idempotency-Key at once."""

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from keel.accounts.actions import issue_api_token
from keel.accounts.models import User
from keel.incidents.models import Incident
from tests.live import Served, free_port, serve, stop, suite_database_url
from tests.threads import at_once


@pytest.fixture(scope="module")
def keel(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Web processes only: a worker would tick the scheduler against the database other modules use."""
    env = {
        "DATABASE_URL": suite_database_url(),
        "KEEL_VAR_DIR": str(tmp_path_factory.mktemp("keel")),
        "PORT": str(free_port()),
        "KEEL_WEB_WORKERS": "2",
        "KEEL_WEB_THREADS": "4",
    }
    served = serve(env, "--no-worker", log=subprocess.DEVNULL)
    yield served
    stop(served.process)


def _send(served: Served, token: str, path: str, body: Any = None, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"{served.base_url}/api/v1{path}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_on_a_real_server_create_once(keel: Served, agent: User) -> None:
    token = issue_api_token(agent).raw
    body = {"title": "Checkout returns 502", "urgency": "high"}

    answers = at_once(*(lambda: _send(keel, token, "/incidents", body, **{"Idempotency-Key": "retry-1"}),) * 8)

    assert {status for status, _ in answers} == {201}
    assert len({content for _, content in answers}) == 1
    assert Incident.objects.count() == 1
