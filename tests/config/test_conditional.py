"""Conditional requests across the whole API (RFC 9110 §13.1.1): every operation that changes a
versioned record takes If-Match and honours it, and every such record's read gives its ETag.

The walk reads the operations from the OpenAPI document: one that declares If-Match without a
recipe here fails by name, and so does a change of a record that does not declare it.
"""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from keel.accounts.actions import ensure_team, update_team
from keel.accounts.models import User
from keel.audit.models import AuditRecord
from keel.cmdb.actions.records import create_ci, create_ci_type, create_service, ensure_default_ci_types
from keel.cmdb.actions.relationships import relate
from keel.cmdb.models import ConfigurationItem
from keel.escalation.actions import create_policy as create_escalation_policy
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.rules import create_rule
from keel.integrations.actions.sources import create_source, send_test_event
from keel.integrations.actions.windows import create_maintenance_window
from keel.integrations.models import Alert, Source
from keel.lib import clock
from keel.notifications.actions import Message, send
from keel.notifications.models import Event
from keel.oncall.actions import create_layer, create_override, create_schedule
from keel.oncall.models import Schedule
from keel.routing.actions import create_group_assignment
from keel.routing.actions import create_rule as create_routing_rule
from keel.sla.actions.setup import create_calendar, create_policy
from tests.api_schema import openapi
from tests.conftest import ApiClient
from tests.threads import at_once

PREFIX: Final = "/api/v1"
OFFICE: Final = [{"weekday": "mon", "opens": "09:00", "closes": "17:00"}]
# Changes that take a path parameter but change no one record, with why.
NOT_OF_A_RECORD: Final = {("post", "/cmdb/import/{what}"): "an import writes many CIs, matched by name"}


@dataclass(frozen=True)
class Change:
    """A change that succeeds, and the record it is about."""

    record: str  # the record's path: its GET gives the ETag
    method: str
    path: str
    body: dict[str, Any] | None = None
    upload: bool = False  # multipart, with a small text file
    removes: bool = False  # the record is gone after it
    answers_record: bool = True  # the answer is the record, with its new ETag

    def send(self, client: ApiClient, if_match: str) -> Any:
        headers = {**client.headers, "If-Match": if_match}
        if self.upload:
            files = {"file": SimpleUploadedFile("notes.txt", b"it broke at 10:05", "text/plain")}
            return client.client.post(f"{PREFIX}{self.path}", files, headers=headers)
        if self.method == "delete":
            return client.delete(self.path, headers={"If-Match": if_match})
        return getattr(client, self.method)(self.path, self.body or {}, headers={"If-Match": if_match})


# --- one recipe per operation that takes If-Match ------------------------------------------------


def _incident(admin: User, requester: User) -> str:
    incident = open_incident(actor=admin, caller=requester, title="Mail is down")
    return f"/incidents/{incident.number}"


def _ci(name: str = "db1") -> ConfigurationItem:
    return create_ci(actor=None, name=name, ci_type=ensure_default_ci_types()["server"])


def _relationship() -> str:
    link = relate(actor=None, source=_ci("app1"), target=_ci("db1"), kind="depends_on")
    return f"/relationships/{link.pk}"


def _calendar(name: str = "Office") -> str:
    return f"/sla/calendars/{create_calendar(actor=None, fields={'name': name, 'zone': 'UTC', 'windows': OFFICE}).pk}"


def _policy() -> str:
    calendar = create_calendar(actor=None, fields={"name": "Office", "zone": "UTC", "windows": OFFICE})
    fields = {"name": "P1", "calendar": calendar, "priority": 1, "resolution_target_s": 3600}
    return f"/sla/policies/{create_policy(actor=None, fields=fields).pk}"


def _source() -> str:
    return f"/sources/{create_source(actor=None, name='prod-am', kind='alertmanager').source.pk}"


def _window() -> str:
    now = clock.now()
    window = create_maintenance_window(
        actor=None,
        name="DB upgrade",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        matchers=[{"label": "env", "op": "=", "value": "prod"}],
    )
    return f"/maintenance-windows/{window.pk}"


def _alert() -> str:
    _fire(create_source(actor=None, name="prod-am", kind="alertmanager").source)
    return f"/alerts/{Alert.objects.get().pk}"


def _fire(source: Source) -> None:
    """The source's test alert fires (again), through the intake and the pump."""
    send_test_event(source, actor=None)
    process_pending()


type Recipe = Callable[[User, User], Change]


def _on(record: str, method: str, sub: str = "", **options: Any) -> Change:
    return Change(record=record, method=method, path=record + sub, **options)


RECIPES: Final[dict[tuple[str, str], Recipe]] = {
    ("patch", "/incidents/{number}"): lambda admin, caller: _on(
        _incident(admin, caller), "patch", body={"title": "Mail is down for everyone"}
    ),
    ("post", "/incidents/{number}/transitions"): lambda admin, caller: _on(
        _incident(admin, caller), "post", "/transitions", body={"to": "in_progress"}
    ),
    ("post", "/incidents/{number}/comments"): lambda admin, caller: _on(
        _incident(admin, caller), "post", "/comments", body={"body": "Looking at it"}, answers_record=False
    ),
    ("post", "/incidents/{number}/attachments"): lambda admin, caller: _on(
        _incident(admin, caller), "post", "/attachments", upload=True, answers_record=False
    ),
    ("patch", "/ci-types/{reference}"): lambda *_: _on(
        f"/ci-types/{create_ci_type(actor=None, slug='queue', name='Queue').slug}", "patch", body={"name": "Queues"}
    ),
    ("delete", "/ci-types/{reference}"): lambda *_: _on(
        f"/ci-types/{create_ci_type(actor=None, slug='queue', name='Queue').slug}", "delete", removes=True
    ),
    ("patch", "/cis/{reference}"): lambda *_: _on(f"/cis/{_ci().pk}", "patch", body={"description": "Primary"}),
    ("delete", "/cis/{reference}"): lambda *_: _on(f"/cis/{_ci().pk}", "delete", removes=True),
    ("patch", "/relationships/{reference}"): lambda *_: _on(_relationship(), "patch", body={"kind": "runs_on"}),
    ("delete", "/relationships/{reference}"): lambda *_: _on(_relationship(), "delete", removes=True),
    ("patch", "/services/{reference}"): lambda *_: _on(
        f"/services/{create_service(actor=None, name='Shop').pk}", "patch", body={"users": 2500}
    ),
    ("delete", "/services/{reference}"): lambda *_: _on(
        f"/services/{create_service(actor=None, name='Shop').pk}", "delete", removes=True
    ),
    ("patch", "/sla/calendars/{reference}"): lambda *_: _on(_calendar(), "patch", body={"name": "London office"}),
    ("delete", "/sla/calendars/{reference}"): lambda *_: _on(_calendar(), "delete", removes=True),
    ("patch", "/sla/policies/{reference}"): lambda *_: _on(_policy(), "patch", body={"position": 5}),
    ("delete", "/sla/policies/{reference}"): lambda *_: _on(_policy(), "delete", removes=True),
    ("patch", "/sources/{reference}"): lambda *_: _on(_source(), "patch", body={"description": "The prod one"}),
    ("delete", "/sources/{reference}"): lambda *_: _on(_source(), "delete"),  # revoked: it stays, revoked
    ("post", "/sources/{reference}/rotate"): lambda *_: _on(_source(), "post", "/rotate"),
    ("post", "/sources/{reference}/test"): lambda *_: _on(_source(), "post", "/test", answers_record=False),
    ("patch", "/maintenance-windows/{reference}"): lambda *_: _on(_window(), "patch", body={"reason": "Vendor patch"}),
    ("delete", "/maintenance-windows/{reference}"): lambda *_: _on(_window(), "delete"),  # running: ended, kept
    ("patch", "/correlation-rules/{reference}"): lambda *_: _on(
        f"/correlation-rules/{create_rule(actor=None, fields={'name': 'Pages'}).pk}", "patch", body={"window_s": 600}
    ),
    ("post", "/alerts/{alert_id}/acknowledge"): lambda *_: _on(_alert(), "post", "/acknowledge"),
    ("patch", "/routing/rules/{reference}"): lambda *_: _on(_routing_rule(), "patch", body={"position": 5}),
    ("delete", "/routing/rules/{reference}"): lambda *_: _on(_routing_rule(), "delete", removes=True),
    ("post", "/incidents/{number}/escalate"): lambda admin, caller: _on(
        _escalatable(admin, caller), "post", "/escalate", body={"note": "Needs the next tier"}
    ),
    ("post", "/incidents/{number}/reroute"): lambda admin, caller: _on(_reroutable(admin, caller), "post", "/reroute"),
    ("patch", "/routing/groups/{reference}"): lambda *_: _on(_group(), "patch", body={"strategy": "least_loaded"}),
    ("delete", "/routing/groups/{reference}"): lambda *_: _on(_group(), "delete", removes=True),
    ("patch", "/escalation/policies/{reference}"): lambda *_: _on(_escalation_policy(), "patch", body={"position": 5}),
    ("delete", "/escalation/policies/{reference}"): lambda *_: _on(_escalation_policy(), "delete", removes=True),
    ("post", "/incidents/{number}/acknowledge"): lambda admin, caller: _on(
        _paged(admin, caller), "post", "/acknowledge"
    ),
    ("patch", "/oncall/schedules/{reference}"): lambda *_: _on(
        f"/oncall/schedules/{_schedule().pk}", "patch", body={"description": "Nights too"}
    ),
    ("delete", "/oncall/schedules/{reference}"): lambda *_: _on(
        f"/oncall/schedules/{_schedule().pk}", "delete", removes=True
    ),
    ("patch", "/oncall/layers/{reference}"): lambda admin, _: _on(_layer(admin), "patch", body={"position": 5}),
    ("delete", "/oncall/layers/{reference}"): lambda admin, _: _on(_layer(admin), "delete", removes=True),
    ("patch", "/oncall/overrides/{reference}"): lambda admin, _: _on(
        _override(admin), "patch", body={"note": "Covering for Bob"}
    ),
    ("delete", "/oncall/overrides/{reference}"): lambda admin, _: _on(_override(admin), "delete", removes=True),
}


def _escalation_policy() -> str:
    steps = [{"when": "no_response", "minutes": 30, "notify": ["group_manager"]}]
    return f"/escalation/policies/{create_escalation_policy(actor=None, fields={'name': 'P1', 'steps': steps}).pk}"


def _paged(admin: User, caller: User) -> str:
    incident = open_incident(actor=admin, caller=caller, title="Core switch down")
    send([Message(admin.pk, "page", Event.PAGED, "Paged", subject_type="incident", subject_id=incident.pk, page=True)])
    return f"/incidents/{incident.number}"


def _schedule() -> Schedule:
    group = ensure_team(slug="network", name="Network")
    return create_schedule(actor=None, fields={"team": group, "name": "Network primary", "time_zone": "Europe/Berlin"})


def _layer(person: User) -> str:
    fields = {"name": "Weekly", "handoff_time": "09:00", "start_date": "2026-03-02", "members": [person.pk]}
    return f"/oncall/layers/{create_layer(actor=None, fields={'schedule': _schedule(), **fields}).pk}"


def _override(person: User) -> str:
    start = clock.now() + timedelta(days=1)
    fields = {"schedule": _schedule(), "person": person, "starts_at": start, "ends_at": start + timedelta(hours=8)}
    return f"/oncall/overrides/{create_override(actor=None, fields=fields).pk}"


def _escalatable(admin: User, caller: User) -> str:
    first, second = ensure_team(slug="desk", name="Desk"), ensure_team(slug="network", name="Network")
    update_team(first, actor=None, changes={"escalates_to": second})
    return f"/incidents/{open_incident(actor=admin, caller=caller, title='VPN drops', assignment_group=first).number}"


def _reroutable(admin: User, caller: User) -> str:
    first, second = ensure_team(slug="desk", name="Desk"), ensure_team(slug="network", name="Network")
    create_routing_rule(actor=None, fields={"name": "Everything to network", "assignment_group": second})
    return f"/incidents/{open_incident(actor=admin, caller=caller, title='VPN drops', assignment_group=first).number}"


def _group() -> str:
    group = ensure_team(slug="network", name="Network")
    create_group_assignment(actor=None, fields={"team": group})
    return "/routing/groups/network"


def _routing_rule() -> str:
    group = ensure_team(slug="network", name="Network")
    return f"/routing/rules/{create_routing_rule(actor=None, fields={'name': 'Wi-Fi', 'assignment_group': group}).pk}"


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in openapi()["paths"].items():
        for method, operation in methods.items():
            yield method, path.removeprefix(PREFIX), operation


def _takes(operation: dict[str, Any], header: str) -> bool:
    return any(param["in"] == "header" and param["name"] == header for param in operation.get("parameters", []))


@pytest.mark.django_db
def test_every_change_of_a_record_takes_if_match() -> None:
    changes = {
        (method, path)
        for method, path, _ in _operations()
        if method in {"post", "put", "patch", "delete"} and "{" in path and (method, path) not in NOT_OF_A_RECORD
    }
    declaring = {(method, path) for method, path, operation in _operations() if _takes(operation, "If-Match")}

    assert sorted(changes - declaring) == [], "these change a record but take no If-Match (IfMatchHeader)"
    assert sorted(declaring - RECIPES.keys()) == [], "add a recipe for these to RECIPES"
    assert sorted(RECIPES.keys() - declaring) == [], "these recipes name no operation that takes If-Match"


def _snapshot() -> dict[str, int]:
    """How many rows every table holds: a refused change must leave each as it was."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def _state(client: ApiClient, path: str) -> tuple[int, Any, str | None]:
    response = client.get(path)
    return response.status_code, response.json(), response.headers.get("ETag")


@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(RECIPES), ids=" ".join)
def test_each_change_honours_if_match(
    api: Callable[[User], ApiClient],
    admin_user: User,
    requester: User,
    other_requester: User,
    operation: tuple[str, str],
) -> None:
    change = RECIPES[operation](admin_user, requester)
    client, outsider = api(admin_user), api(other_requester)
    status, before, tag = _state(client, change.record)
    rows = _snapshot()
    assert status == 200
    assert tag is not None
    assert tag.startswith('"') and tag.endswith('"')

    malformed = change.send(client, "stale")
    forbidden = change.send(outsider, tag)
    stale = change.send(client, '"stale-0"')
    weak = change.send(client, f"W/{tag}")

    assert (malformed.status_code, malformed.json()["field"]) == (400, "If-Match")
    assert forbidden.status_code in {403, 404}
    assert (stale.status_code, weak.status_code) == (412, 412)
    assert stale.json() == {
        "message": stale.json()["message"],
        "field": "If-Match",
    }
    assert f"its ETag is now {tag}" in stale.json()["message"]
    assert _state(client, change.record) == (200, before, tag)
    assert _snapshot() == rows

    done = change.send(client, f'"nope", {tag}')

    assert 200 <= done.status_code < 300, done.content
    after = client.get(change.record)
    if change.removes:
        # Gone (an SLA path that names nothing is 400 today, not 404: issue 23's error part).
        assert (done.status_code, after.status_code in {400, 404}) == (204, True)
    elif change.answers_record:
        assert done["ETag"] == after["ETag"] != tag


# (what, where below the incident, body, If-Match, answer)
ISSUE_CASES: Final = [
    ("an opaque stale tag is 412, not 400", "", {"title": "New title"}, '"stale-0"', 412),
    ("a weak tag does not match", "", {"title": "New title"}, 'W/"1"', 412),
    ("a list matches when one of its tags does", "", {"title": "New title"}, '"0", "1"', 200),
    ("a transition from a stale read is refused", "/transitions", {"to": "in_progress"}, '"0"', 412),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", ISSUE_CASES, ids=[case[0] for case in ISSUE_CASES])
def test_the_cases_issue_23_found_on_incidents(
    api: Callable[[User], ApiClient], admin_user: User, requester: User, case: tuple[str, str, Any, str, int]
) -> None:
    _, path, body, if_match, status = case
    incident = open_incident(actor=admin_user, caller=requester, title="Mail is down")
    send = getattr(api(admin_user), "post" if path else "patch")

    response = send(f"/incidents/{incident.number}{path}", body, headers={"If-Match": if_match})

    assert response.status_code == status
    assert Incident.objects.get(pk=incident.pk).version == (2 if status == 200 else 1)


@pytest.mark.django_db
def test_a_stale_tag_on_a_ci_no_longer_loses_an_update(api: Callable[[User], ApiClient], admin_user: User) -> None:
    ci = _ci()
    client = api(admin_user)
    tag = client.get(f"/cis/{ci.pk}")["ETag"]
    first = client.patch(f"/cis/{ci.pk}", {"description": "Primary"}, headers={"If-Match": tag})
    second = client.patch(f"/cis/{ci.pk}", {"criticality": 1}, headers={"If-Match": tag})

    assert (first.status_code, second.status_code) == (200, 412)
    stored = ConfigurationItem.objects.get(pk=ci.pk)
    assert (stored.description, stored.criticality, stored.revision) == ("Primary", 3, 2)
    assert second.json()["message"] == (
        'Configuration item db1 has changed since you read it: its ETag is now "2". GET it again, re-apply '
        'your change to what it holds now, and send If-Match: "2".'
    )


@pytest.mark.django_db
def test_a_change_without_if_match_still_counts_a_revision(api: Callable[[User], ApiClient], admin_user: User) -> None:
    ci = _ci()
    client = api(admin_user)

    changed = client.patch(f"/cis/{ci.pk}", {"description": "Primary"})
    unchanged = client.patch(f"/cis/{ci.pk}", {"description": "Primary"})

    assert (changed["ETag"], unchanged["ETag"], client.get(f"/cis/{ci.pk}")["ETag"]) == ('"2"', '"2"', '"2"')


@pytest.mark.django_db
def test_a_csv_import_counts_a_revision_of_each_ci_it_changes(
    api: Callable[[User], ApiClient], admin_user: User
) -> None:
    ci = _ci()
    client = api(admin_user)
    tag = client.get(f"/cis/{ci.pk}")["ETag"]

    client.client.post(
        f"{PREFIX}/cmdb/import/cis",
        "name,type,description\ndb1,server,Primary\n",
        content_type="text/csv",
        headers=client.headers,
    )
    stale = client.patch(f"/cis/{ci.pk}", {"criticality": 1}, headers={"If-Match": tag})

    assert (tag, stale.status_code, ConfigurationItem.objects.get(pk=ci.pk).revision) == ('"1"', 412, 2)


@pytest.mark.django_db
def test_a_record_read_and_changed_in_a_list_gives_each_its_own_tag(
    api: Callable[[User], ApiClient], admin_user: User
) -> None:
    first, second = _ci("db1"), _ci("db2")
    client = api(admin_user)
    client.patch(f"/cis/{first.pk}", {"description": "Primary"})

    assert (client.get(f"/cis/{first.pk}")["ETag"], client.get(f"/cis/{second.pk}")["ETag"]) == ('"2"', '"1"')


@pytest.mark.django_db
def test_an_alerts_tag_follows_what_monitoring_changes(api: Callable[[User], ApiClient], admin_user: User) -> None:
    path = _alert()
    client = api(admin_user)
    tag = client.get(path)["ETag"]
    _fire(Source.objects.get())

    stale = client.post(f"{path}/acknowledge", headers={"If-Match": tag})

    assert (Alert.objects.get().occurrences, stale.status_code) == (2, 412)
    assert client.get(path)["ETag"] != tag


@pytest.mark.django_db(transaction=True)
def test_two_clients_that_read_one_revision_change_it_once(api: Callable[[User], ApiClient], admin_user: User) -> None:
    ci = _ci()
    clients = [api(admin_user), api(admin_user)]
    tag = clients[0].get(f"/cis/{ci.pk}")["ETag"]
    lock = threading.Lock()
    answered: list[int] = []

    def change(client: ApiClient, description: str) -> None:
        status = client.patch(f"/cis/{ci.pk}", {"description": description}, headers={"If-Match": tag}).status_code
        with lock:
            answered.append(status)

    at_once(lambda: change(clients[0], "Primary"), lambda: change(clients[1], "Replica"))

    assert sorted(answered) == [200, 412]
    assert ConfigurationItem.objects.get(pk=ci.pk).revision == 2
    assert AuditRecord.objects.filter(subject_type="ci", subject_id=ci.pk, field="description").count() == 1
