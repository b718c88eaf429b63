"""The whole API fuzzed from its own OpenAPI document (DESIGN §6, issue 23): schemathesis runs every
operation the document lists — those added later too — with every check on (no server error,
status codes, content types, headers and bodies as declared, invalid data refused, valid data
accepted, …), as an agent and as a requester, bounded by a fixed seed and example count. A failure
is a bug in the API (a schema that says too little, an answer it does not declare), not in here.

Deselect with ``-m "not fuzz"`` while iterating; ``make test`` runs it.
"""

import threading
from collections.abc import Callable, Iterator
from typing import Any, Final
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import schemathesis
from django.db import connections
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from keel.accounts.actions import issue_api_token
from keel.accounts.models import User
from keel.accounts.roles import Role
from keel.cmdb.actions.records import ensure_default_ci_types
from keel.config.wsgi import application

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

SEED: Final = 23
EXAMPLES: Final = 12  # per operation and phase: the run stays within a few minutes on 2 cores


# Valid data Keel refuses all the same: a reference to a record that does not exist ("No team
# 'x'"), a rule across fields (a calendar's windows that overlap, a resolve without its code). The
# schemas cannot say those; until the fuzzer is given Keel's real vocabulary (existing names, the
# lifecycle's steps) this check is held apart below, so that every other check stays at zero.
SEMANTIC: Final = "positive_data_acceptance"


def _run(token: str, base_url: str) -> list[str]:
    """Every failed check of a bounded run, as "check on operation: what" lines."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {token}"},
            "workers": 1,
            "generation": {"max-examples": EXAMPLES, "mode": "all"},
        }
    )
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=config)
    return list(_failures(from_schema(schema).execute()))


@pytest.fixture
def served() -> Iterator[str]:
    """Keel's WSGI application (the one ``keel serve`` runs) on a loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, _closing(application), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def _closing(app: Any) -> Any:
    # Each request's database connection is closed in the server's thread, so that the test
    # database can be flushed (and dropped) when the test ends.
    def closing(environ: dict[str, Any], start_response: Any) -> Any:
        try:
            return list(app(environ, start_response))
        finally:
            connections.close_all()

    return closing


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def _failures(stream: Any) -> Iterator[str]:
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        exchange = event.recorder.interactions.get(case_id)
                        sent = "" if exchange is None else f" [{exchange.request.method} {exchange.request.uri}]"
                        got = "" if exchange is None or exchange.response is None else exchange.response.content[:300]
                        yield f"{check.name} on {event.recorder.label}{sent}: {failure.message} {got!r}"
        if isinstance(event, events.NonFatalError | events.FatalError):
            yield f"error: {event}"


@pytest.fixture
def token_of(make_user: Callable[..., User]) -> Callable[[Role], str]:
    ensure_default_ci_types()

    def token(role: Role) -> str:
        return issue_api_token(make_user(f"fuzz-{role.value}", role)).raw

    return token


@pytest.fixture(scope="module")
def runs() -> dict[Role, list[str]]:
    return {}


@pytest.mark.parametrize("role", [Role.AGENT, Role.REQUESTER])
def test_the_api_holds_its_document(
    role: Role, token_of: Callable[[Role], str], served: str, runs: dict[Role, list[str]]
) -> None:
    runs[role] = failures = _run(token_of(role), served)

    broken = [failure for failure in failures if not failure.startswith(SEMANTIC)]
    assert not broken, "\n".join(dict.fromkeys(broken))


@pytest.mark.xfail(strict=True, reason="valid-looking references to records that do not exist are refused (400)")
@pytest.mark.parametrize("role", [Role.AGENT, Role.REQUESTER])
def test_valid_data_is_accepted(role: Role, runs: dict[Role, list[str]]) -> None:
    assert role in runs, "runs after test_the_api_holds_its_document"
    rejected = [failure for failure in runs[role] if failure.startswith(SEMANTIC)]
    assert not rejected, "\n".join(dict.fromkeys(rejected))
