"""The whole API fuzzed from its own OpenAPI document (DESIGN §6, issue 23): schemathesis runs every
operation the document lists — those added later too — with every check on (no server error,
status codes, content types, headers and bodies as declared, invalid data refused, valid data
accepted, …), as an agent and as a requester, bounded by a fixed seed and example count. A failure
is a bug in the API (a schema that says too little, an answer it does not declare), not in here.

Deselect with ``-m "not fuzz"`` while iterating; ``make test`` runs it.
"""

import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import schemathesis
from django.db import connections
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

from keel.accounts.actions import add_team_member, issue_api_token
from keel.accounts.models import User
from keel.accounts.roles import Role
from keel.config.wsgi import application
from keel.incidents.actions.records import open_incident
from tests.world import World

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

SEED: Final = 23
EXAMPLES: Final = 12  # per operation and phase: the run stays within a few minutes on 2 cores


# Statuses that answer data the schema calls valid, besides schemathesis's defaults (2xx, 401,
# 403, 404, 409, …): 412 is If-Match naming a version the record has left, a condition on the
# record's state like 409, not a fault in the request's shape.
ACCEPTED: Final = ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]


def _run(token: str, base_url: str, vocabulary: "Vocabulary") -> list[str]:
    """Every failed check of a bounded run, as "check on operation: what; got status body" lines."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": base_url,
            "auth": {"openapi": {"BearerToken": {"bearer": token}}},
            "workers": 1,
            # Keel refuses NUL in any text (neither database stores it; 400 naming the field,
            # docs/api.md, tests/lib/test_bad_input.py): a fuzzer's NUL would only find that again.
            # No example database: a run replays nothing an earlier run found, so every run is the same.
            "generation": {"max-examples": EXAMPLES, "mode": "all", "allow-x00": False, "database": "none"},
            "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        }
    )
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=config)

    # before_call is a hook of the process (schemathesis has no per-schema one): on for this run only.
    def before_call(context: Any, case: Any, **kwargs: Any) -> None:
        vocabulary.speak(case)

    schemathesis.hook(before_call)
    try:
        return list(_failures(from_schema(schema).execute()))
    finally:
        GLOBAL_HOOK_DISPATCHER.unregister(before_call)


@dataclass(frozen=True)
class Vocabulary:
    """The records that exist, by the names requests give them. A schema can say a caller is an
    id or a username, not which usernames there are, and a name no record has is refused (400
    naming the field) as it should be; so a request the fuzzer means to be valid names records
    from here. Requests meant to be invalid are sent as generated."""

    words: Mapping[str, object]
    by_path: Mapping[str, Mapping[str, object]]

    def speak(self, case: Any) -> None:
        key = case.headers.get(IDEMPOTENCY_KEY) if case.headers else None
        if key is not None and VALID_KEY.fullmatch(key):
            case.headers[IDEMPOTENCY_KEY] = uuid.uuid4().hex  # a key reused for another request is 422
        if case.meta is None or not case.meta.generation.mode.is_positive:
            return
        words = {**self.words, **self.by_path.get(case.operation.path, {})}
        if isinstance(case.body, dict):  # named with what they belong to
            if case.body.get("subcategory") is not None:
                case.body["category"] = words["category"]
            if case.body.get("assignee") is not None:
                case.body["assignment_group"] = words["assignment_group"]
            if case.operation.path.endswith("/transitions"):
                # What a move needs from the incident's current state, which no schema knows: a
                # reopen says why, an assignment of an incident in no queue names one.
                if not str(case.body.get("note") or "").strip():
                    case.body["note"] = "Checked with the caller."
                if case.body.get("to") == "assigned":
                    case.body["assignment_group"] = words["assignment_group"]
        for given in (case.body, case.query):
            if isinstance(given, dict):
                for name in given.keys() & words.keys():
                    if given[name] is not None:
                        given[name] = words[name]


PERIOD: Final = {"since": "2026-10-01", "until": "2026-10-31"}
IDEMPOTENCY_KEY: Final = "Idempotency-Key"
VALID_KEY: Final = re.compile(r"[ \t]*[!-~]{1,255}[ \t]*")


def _vocabulary(world: World, *, parent: str) -> Vocabulary:
    team, person, ci = world.team.slug, world.person.username, world.ci.name
    return Vocabulary(
        words={
            "caller": person,
            "assignee": person,
            "actor": person,
            "category": world.category.name,
            "subcategory": world.subcategory.name,
            "category_id": world.category.pk,
            "service": world.service.name,
            "ci": ci,
            "assignment_group": team,
            "team": team,
            "owner_team": team,
            "support_group": team,
            "calendar": world.calendar.name,
            "parent": parent,
            "type": "server",
            "source": world.source.source.name,
            # A routing rule names records by id: ones that exist.
            "service_ids": [world.service.pk],
            "ci_ids": [world.ci.pk],
            "ci_type_ids": [world.ci.ci_type_id],
            # An escalation policy names groups by id.
            "group_ids": [world.team.pk],
            # On-call names a schedule, its members and who covers: ones that exist.
            "schedule": world.schedule.name,
            "person": person,
            "members": [person],
        },
        by_path={
            "/api/v1/relationships": {"source": ci, "target": world.other_ci.name},
            # A report's period: since before until, at most three years.
            "/api/v1/reports/hotspots": PERIOD,
            "/api/v1/reports/hotspots.csv": PERIOD,
            # Who is on call: a moment in the years the schedules answer for.
            "/api/v1/oncall": {"at": "2026-03-28T08:00:00Z"},
        },
    )


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
                        sent = "" if exchange is None else f" [{_request(exchange.request)}]"
                        got = "" if exchange is None or exchange.response is None else _answer(exchange.response)
                        yield f"{check.name} on {event.recorder.label}{sent}: {failure.message!r}; got {got}"
        if isinstance(event, events.NonFatalError | events.FatalError):
            yield f"error: {event}"


def _request(request: Any) -> str:
    headers = {name: value for name, value in request.headers.items() if name in SHOWN_HEADERS}
    return f"{request.method} {request.uri} {headers or ''}".rstrip()


SHOWN_HEADERS: Final = {"If-Match", "Idempotency-Key", "Content-Type"}


def _answer(response: Any) -> str:
    return f"{response.status_code} {response.content[:300]!r}"


@pytest.fixture
def world() -> World:
    """One record of each kind, the fuzzer's vocabulary (the person is on the team, as an
    assignee must be)."""
    world = World()
    add_team_member(world.team, world.person)
    return world


@pytest.mark.parametrize("role", [Role.AGENT, Role.REQUESTER])
def test_the_api_holds_its_document(role: Role, make_user: Callable[..., User], world: World, served: str) -> None:
    user = make_user(f"fuzz-{role.value}", role)
    theirs = open_incident(actor=world.person, caller=user, title="Printer offline")  # a parent both may see

    failures = _run(issue_api_token(user).raw, served, _vocabulary(world, parent=theirs.number))

    assert not failures, "\n".join(dict.fromkeys(failures))
