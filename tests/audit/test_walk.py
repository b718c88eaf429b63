"""The audit walk: every model registered in the admin and every write endpoint (POST, PUT, PATCH,
DELETE) of the OpenAPI document is found here by itself, made to change something for real, and
must leave an audit row saying who did it through which door. A verb an admin does not offer must
be refused and change nothing.

Both lists are discovered, not kept: a new model admin or a new endpoint with no example below
fails with a message that says what to add. The examples say only what a person would type (form
values, a JSON body); the records they need are made through the actions by ``World``.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.forms.models import model_to_dict
from django.test import Client, RequestFactory
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from keel.accounts.models import ApiToken, Team, User
from keel.audit.models import AuditRecord
from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service
from keel.config.api import api as keel_api
from keel.escalation.models import EscalationPolicy
from keel.incidents.models import Category, Incident, PriorityRule
from keel.integrations.models import Alert, ChangeEvent, CorrelationRule, MaintenanceWindow, Payload, Source
from keel.lib.doors import Door
from keel.oncall.models import Layer, Override, Schedule, WorkingHours
from keel.routing.models import GroupAssignment, RoutingRule
from keel.sla.models import Calendar, Clock, Policy
from tests.admin_forms import FormData, form_data
from tests.conftest import PASSWORD, ApiClient
from tests.world import OFFICE_HOURS, World

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")


Values = Mapping[str, Any] | Callable[[World], Mapping[str, Any]]


@dataclass(frozen=True)
class AdminExample:
    """How the walk exercises one model admin: ``row`` an existing record (changed, acted on, or
    refused); ``add`` and ``change`` the form values a person would type (the rest of the form is
    posted as the page shows it); ``spare`` a record that may be deleted, made afresh per call."""

    row: Callable[[World], Model]
    add: Values = field(default_factory=dict)
    change: Values = field(default_factory=dict)
    spare: Callable[[World], Model] | None = None


ADMIN_EXAMPLES: Mapping[type[Model], AdminExample] = {
    User: AdminExample(
        row=lambda w: w.person,
        add={
            "username": "carol",
            "role": "resolver",
            "password1": "x-horse-battery-1",
            "password2": "x-horse-battery-1",
        },
        change={"role": "admin", "is_vip": "on"},
        spare=World.spare_person,
    ),
    Team: AdminExample(
        row=lambda w: w.team,
        add={"slug": "dba", "name": "DBAs"},
        change=lambda w: {"name": "Network engineering", "members": [str(w.person.pk)]},
        spare=World.spare_team,
    ),
    ApiToken: AdminExample(row=lambda w: w.token),
    CIType: AdminExample(
        row=lambda w: w.types["server"],
        add={"slug": "switch", "name": "Switch"},
        change={"name": "Servers"},
        spare=World.spare_ci_type,
    ),
    Service: AdminExample(
        row=lambda w: w.service, add={"name": "Mail", "users": "5"}, change={"users": "20"}, spare=World.spare_service
    ),
    ConfigurationItem: AdminExample(
        row=lambda w: w.ci,
        add=lambda w: {"name": "app-01", "ci_type": str(w.types["application"].pk)},
        change={"criticality": "1", "location": "DC2"},
        spare=World.spare_ci,
    ),
    Relationship: AdminExample(
        row=lambda w: w.relationship,
        add=lambda w: {"source": str(w.ci.pk), "target": str(w.spare_ci().pk), "kind": "runs_on"},
        change={"kind": "runs_on"},
        spare=World.spare_relationship,
    ),
    Category: AdminExample(
        row=lambda w: w.category,
        add={"name": "Hardware"},
        change={"name": "Networking", "children-0-name": "Wi-Fi"},
        spare=World.spare_category,
    ),
    PriorityRule: AdminExample(row=lambda w: w.priority_rule, change={"priority": "4"}),
    Incident: AdminExample(row=lambda w: w.incident),
    Calendar: AdminExample(
        row=lambda w: w.calendar,
        add={
            "name": "Around the clock",
            "zone": "UTC",
            "windows": json.dumps([{"weekday": "mon", "opens": "00:00", "closes": "24:00"}]),
        },
        change={"name": "London office hours"},
    ),
    Policy: AdminExample(
        row=lambda w: w.policy,
        add=lambda w: {
            "name": "P1",
            "calendar": str(w.calendar.pk),
            "priority": "1",
            "response_target_s": "900",
            "thresholds": "[50, 75, 90]",
            "pausing_reasons": '["awaiting_caller"]',
        },
        change={"position": "5"},
    ),
    Clock: AdminExample(row=lambda w: w.clock),
    Source: AdminExample(
        row=lambda w: w.source.source,
        add={"name": "staging-alertmanager", "kind": "alertmanager"},
        change={"description": "Production"},
    ),
    CorrelationRule: AdminExample(row=lambda w: w.rule, add={"name": "Database alerts"}, change={"position": "5"}),
    MaintenanceWindow: AdminExample(
        row=lambda w: w.window,
        add={
            "name": "Upgrade",
            "starts_at_0": "2031-01-01",
            "starts_at_1": "22:00:00",
            "ends_at_0": "2031-01-02",
            "ends_at_1": "02:00:00",
            "matchers": '[{"label": "env", "op": "=", "value": "staging"}]',
        },
        change={"reason": "Kernel upgrade"},
    ),
    Alert: AdminExample(row=lambda w: w.alert),
    Payload: AdminExample(row=lambda w: w.payload),
    ChangeEvent: AdminExample(row=lambda w: w.change_event),
    AuditRecord: AdminExample(row=lambda w: w.audit_row),
    DBTaskResult: AdminExample(row=lambda w: w.task_result),
    RoutingRule: AdminExample(
        row=lambda w: w.routing_rule,
        add=lambda w: {"name": "Printers", "words": '["printer"]', "assignment_group": str(w.team.pk)},
        change={"position": "5"},
        spare=lambda w: w.spare_routing_rule(),
    ),
    GroupAssignment: AdminExample(
        row=lambda w: w.group_assignment,
        add=lambda w: {"team": str(w.spare_team().pk), "strategy": "least_loaded"},
        change={"strategy": "least_loaded"},
        spare=lambda w: w.spare_group_assignment(),
    ),
    Schedule: AdminExample(
        row=lambda w: w.schedule,
        add=lambda w: {"team": str(w.spare_team().pk), "name": "Desk primary", "time_zone": "UTC", "tier": "1"},
        change={"description": "Nights too"},
        spare=lambda w: w.spare_schedule(),
    ),
    Layer: AdminExample(
        row=lambda w: w.layer,
        add=lambda w: {
            "schedule": str(w.schedule.pk),
            "name": "Daily",
            "position": "2",
            "rotation": "daily",
            "shift_days": "1",
            "handoff_time": "09:00",
            "start_date": "2026-03-02",
            "members": json.dumps([w.person.pk]),
            "restrictions": "[]",
        },
        change={"position": "5"},
        spare=lambda w: w.spare_layer(),
    ),
    Override: AdminExample(
        row=lambda w: w.override,
        add=lambda w: {
            "schedule": str(w.schedule.pk),
            "person": str(w.person.pk),
            "starts_at_0": "2031-01-01",
            "starts_at_1": "22:00:00",
            "ends_at_0": "2031-01-02",
            "ends_at_1": "06:00:00",
            "note": "Covering for Bob",
        },
        change={"note": "Covering for Carol"},
        spare=lambda w: w.spare_override(),
    ),
    EscalationPolicy: AdminExample(
        row=lambda w: w.escalation_policy,
        add={
            "name": "P2",
            "position": "20",
            "priorities": "[2]",
            "group_ids": "[]",
            "channels": "[]",
            "steps": '[{"when": "no_response", "minutes": 30, "notify": ["group_manager"]}]',
        },
        change={"position": "5"},
        spare=lambda w: w.spare_escalation_policy(),
    ),
    WorkingHours: AdminExample(
        row=lambda w: w.working_hours,
        add=lambda w: {"person": str(w.spare_staff().pk), "calendar": str(w.calendar.pk)},
        change=lambda w: {"calendar": str(w.spare_calendar().pk)},
        spare=lambda w: w.spare_working_hours(),
    ),
}


@dataclass(frozen=True)
class ApiExample:
    """How the walk calls one write endpoint: the path with its parameters filled in, and the body."""

    path: Callable[[World], str]
    body: Values = field(default_factory=dict)
    content_type: str = "application/json"


API_EXAMPLES: Mapping[str, ApiExample] = {
    "POST /api/v1/incidents": ApiExample(lambda w: "/incidents", {"title": "Printer on fire", "urgency": "high"}),
    "PATCH /api/v1/incidents/{number}": ApiExample(
        lambda w: f"/incidents/{w.incident.number}", {"title": "VPN down for all"}
    ),
    "POST /api/v1/incidents/{number}/transitions": ApiExample(
        lambda w: f"/incidents/{w.incident.number}/transitions", {"to": "in_progress"}
    ),
    "POST /api/v1/incidents/{number}/comments": ApiExample(
        lambda w: f"/incidents/{w.incident.number}/comments", {"body": "Looking into it.", "public": True}
    ),
    "POST /api/v1/incidents/{number}/attachments": ApiExample(
        lambda w: f"/incidents/{w.incident.number}/attachments",
        {"file": ("screenshot.txt", b"The printer says offline.")},
        "multipart/form-data",
    ),
    "POST /api/v1/ci-types": ApiExample(lambda w: "/ci-types", {"slug": "switch", "name": "Switch"}),
    "PATCH /api/v1/ci-types/{reference}": ApiExample(
        lambda w: f"/ci-types/{w.types['server'].slug}", {"name": "Servers"}
    ),
    "DELETE /api/v1/ci-types/{reference}": ApiExample(lambda w: f"/ci-types/{w.spare_ci_type().slug}"),
    "POST /api/v1/cis": ApiExample(lambda w: "/cis", {"name": "app-01", "type": "application"}),
    "PATCH /api/v1/cis/{reference}": ApiExample(lambda w: f"/cis/{w.ci.pk}", {"criticality": 1}),
    "DELETE /api/v1/cis/{reference}": ApiExample(lambda w: f"/cis/{w.spare_ci().pk}"),
    "POST /api/v1/relationships": ApiExample(
        lambda w: "/relationships", lambda w: {"source": w.ci.pk, "target": w.other_ci.pk, "kind": "runs_on"}
    ),
    "PATCH /api/v1/relationships/{reference}": ApiExample(
        lambda w: f"/relationships/{w.relationship.pk}", {"kind": "runs_on"}
    ),
    "DELETE /api/v1/relationships/{reference}": ApiExample(lambda w: f"/relationships/{w.spare_relationship().pk}"),
    "POST /api/v1/services": ApiExample(lambda w: "/services", {"name": "Mail", "users": 5}),
    "PATCH /api/v1/services/{reference}": ApiExample(lambda w: f"/services/{w.service.pk}", {"users": 20}),
    "DELETE /api/v1/services/{reference}": ApiExample(lambda w: f"/services/{w.spare_service().pk}"),
    "POST /api/v1/cmdb/import/{what}": ApiExample(
        lambda w: "/cmdb/import/cis", {"csv": "name,type\nimported-01,server\n"}, "text/csv"
    ),
    "POST /api/v1/sla/calendars": ApiExample(
        lambda w: "/sla/calendars", {"name": "Around the clock", "zone": "UTC", "windows": OFFICE_HOURS}
    ),
    "PATCH /api/v1/sla/calendars/{reference}": ApiExample(
        lambda w: f"/sla/calendars/{w.calendar.pk}", {"name": "London office hours"}
    ),
    "DELETE /api/v1/sla/calendars/{reference}": ApiExample(lambda w: f"/sla/calendars/{w.spare_calendar().pk}"),
    "POST /api/v1/sla/policies": ApiExample(
        lambda w: "/sla/policies",
        lambda w: {"name": "P1", "calendar": w.calendar.pk, "priority": 1, "response_target_seconds": 900},
    ),
    "PATCH /api/v1/sla/policies/{reference}": ApiExample(lambda w: f"/sla/policies/{w.policy.pk}", {"position": 5}),
    "DELETE /api/v1/sla/policies/{reference}": ApiExample(lambda w: f"/sla/policies/{w.policy.pk}"),
    "POST /api/v1/sources": ApiExample(lambda w: "/sources", {"name": "staging", "kind": "alertmanager"}),
    "PATCH /api/v1/sources/{reference}": ApiExample(
        lambda w: f"/sources/{w.source.source.pk}", {"description": "Production"}
    ),
    "DELETE /api/v1/sources/{reference}": ApiExample(lambda w: f"/sources/{w.source.source.pk}"),
    "POST /api/v1/sources/{reference}/rotate": ApiExample(lambda w: f"/sources/{w.source.source.pk}/rotate"),
    "POST /api/v1/sources/{reference}/test": ApiExample(lambda w: f"/sources/{w.source.source.pk}/test"),
    "POST /api/v1/alerts/{alert_id}/acknowledge": ApiExample(lambda w: f"/alerts/{w.alert.pk}/acknowledge"),
    "POST /api/v1/maintenance-windows": ApiExample(
        lambda w: "/maintenance-windows",
        lambda w: {
            "name": "Upgrade",
            "starts_at": "2031-01-01T22:00:00Z",
            "ends_at": "2031-01-02T02:00:00Z",
            "ci": w.ci.pk,
        },
    ),
    "PATCH /api/v1/maintenance-windows/{reference}": ApiExample(
        lambda w: f"/maintenance-windows/{w.window.pk}", {"reason": "Kernel upgrade"}
    ),
    "DELETE /api/v1/maintenance-windows/{reference}": ApiExample(lambda w: f"/maintenance-windows/{w.window.pk}"),
    "POST /api/v1/correlation-rules": ApiExample(lambda w: "/correlation-rules", {"name": "Database alerts"}),
    "PATCH /api/v1/correlation-rules/{reference}": ApiExample(
        lambda w: f"/correlation-rules/{w.rule.pk}", {"position": 5}
    ),
    "POST /api/v1/routing/rules": ApiExample(
        lambda w: "/routing/rules",
        lambda w: {"name": "Printers", "words": ["printer"], "assignment_group": w.team.slug},
    ),
    "PATCH /api/v1/routing/rules/{reference}": ApiExample(
        lambda w: f"/routing/rules/{w.routing_rule.pk}", {"position": 5}
    ),
    "DELETE /api/v1/routing/rules/{reference}": ApiExample(lambda w: f"/routing/rules/{w.routing_rule.pk}"),
    "POST /api/v1/incidents/{number}/escalate": ApiExample(
        lambda w: f"/incidents/{w.escalatable_incident.number}/escalate", {"note": "Needs the next tier"}
    ),
    "POST /api/v1/incidents/{number}/reroute": ApiExample(
        lambda w: f"/incidents/{w.reroutable_incident.number}/reroute"
    ),
    "POST /api/v1/routing/groups": ApiExample(lambda w: "/routing/groups", lambda w: {"team": w.spare_team().slug}),
    "PATCH /api/v1/routing/groups/{reference}": ApiExample(
        lambda w: f"/routing/groups/{w.group_assignment.team.slug}", {"strategy": "least_loaded"}
    ),
    "DELETE /api/v1/routing/groups/{reference}": ApiExample(
        lambda w: f"/routing/groups/{w.group_assignment.team.slug}"
    ),
    "POST /api/v1/escalation/policies": ApiExample(
        lambda w: "/escalation/policies",
        {
            "name": "P2",
            "priorities": [2],
            "steps": [{"when": "sla", "clock": "resolution", "percent": 75, "notify": ["group_manager"]}],
        },
    ),
    "PATCH /api/v1/escalation/policies/{reference}": ApiExample(
        lambda w: f"/escalation/policies/{w.escalation_policy.pk}", {"position": 5}
    ),
    "DELETE /api/v1/escalation/policies/{reference}": ApiExample(
        lambda w: f"/escalation/policies/{w.escalation_policy.pk}"
    ),
    "POST /api/v1/incidents/{number}/acknowledge": ApiExample(
        lambda w: f"/incidents/{w.paged_incident.number}/acknowledge"
    ),
    "POST /api/v1/notifications/read": ApiExample(lambda w: (w.paged_incident, "/notifications/read")[1]),
    "POST /api/v1/oncall/schedules": ApiExample(
        lambda w: "/oncall/schedules",
        lambda w: {"team": w.spare_team().slug, "name": "Desk primary", "time_zone": "Europe/London"},
    ),
    "PATCH /api/v1/oncall/schedules/{reference}": ApiExample(
        lambda w: f"/oncall/schedules/{w.schedule.pk}", {"description": "Nights too"}
    ),
    "DELETE /api/v1/oncall/schedules/{reference}": ApiExample(lambda w: f"/oncall/schedules/{w.spare_schedule().pk}"),
    "POST /api/v1/oncall/layers": ApiExample(
        lambda w: "/oncall/layers",
        lambda w: {
            "schedule": w.schedule.name,
            "name": "Office hours",
            "rotation": "daily",
            "handoff_time": "09:00",
            "start_date": "2026-03-02",
            "members": [w.person.username],
            "restrictions": [{"weekday": "mon", "opens": "09:00", "closes": "17:00"}],
        },
    ),
    "PATCH /api/v1/oncall/layers/{reference}": ApiExample(lambda w: f"/oncall/layers/{w.layer.pk}", {"position": 5}),
    "DELETE /api/v1/oncall/layers/{reference}": ApiExample(lambda w: f"/oncall/layers/{w.layer.pk}"),
    "POST /api/v1/oncall/overrides": ApiExample(
        lambda w: "/oncall/overrides",
        lambda w: {
            "schedule": w.schedule.name,
            "person": w.person.username,
            "starts_at": "2031-03-07T08:00:00Z",
            "ends_at": "2031-03-08T08:00:00Z",
            "note": "Covering for Bob",
        },
    ),
    "PATCH /api/v1/oncall/overrides/{reference}": ApiExample(
        lambda w: f"/oncall/overrides/{w.override.pk}", {"note": "Covering for Carol"}
    ),
    "DELETE /api/v1/oncall/overrides/{reference}": ApiExample(lambda w: f"/oncall/overrides/{w.override.pk}"),
}
# POSTs that write nothing, with why.
READS: Final = {"POST /api/v1/routing/test": "tries the routing rules on a sample incident"}


def _registered() -> list[type[Model]]:
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


def _write_endpoints() -> list[str]:
    paths = keel_api.get_openapi_schema()["paths"]
    return [
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method in operations
        if method in WRITE_METHODS and f"{method.upper()} {path}" not in READS
    ]


@pytest.fixture
def world(admin_user: User) -> World:
    return World()


def values(given: Values, world: World) -> dict[str, Any]:
    return dict(given(world) if callable(given) else given)


def new_audit_rows(since: int) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(pk__gt=since).select_related("actor").order_by("pk"))


def last_audit_pk() -> int:
    return AuditRecord.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- the admin -----------------------------------------------------------------------------


class AdminWalker:
    def __init__(self, model: type[Model], example: AdminExample, world: World, admin_user: User) -> None:
        self.model, self.example, self.world, self.admin_user = model, example, world, admin_user
        self.model_admin = admin.site._registry[model]
        self.client = Client()
        assert self.client.login(username=admin_user.username, password=PASSWORD)
        request = RequestFactory().get("/admin/")
        request.user = admin_user
        self.request = request
        meta = model._meta
        self.name = f"{meta.app_label}.{meta.model_name}"
        self.base = f"admin:{meta.app_label}_{meta.model_name}"

    def url(self, view: str, *args: object) -> str:
        return reverse(f"{self.base}_{view}", args=args)

    def form(self, url: str) -> FormData:
        page = self.client.get(url)
        assert page.status_code == 200, f"{self.name}: GET {url} answered {page.status_code}"
        return form_data(page.content.decode(), form_id=f"{self.model._meta.model_name}_form")

    def audited(self, verb: str, since: int, response: Any) -> None:
        assert response.status_code in {200, 302}, f"{self.name}: {verb} answered {response.status_code}"
        errors = _form_errors(response)
        assert not errors, f"{self.name}: {verb} was refused by the form: {errors}"
        rows = [row for row in new_audit_rows(since) if row.channel == Door.ADMIN and row.actor == self.admin_user]
        assert rows, f"{self.name}: {verb} through the admin changed something and left no audit row."

    def refused(self, verb: str, url: str, row: Model) -> None:
        """``verb`` is not offered: posting to its page anyway is 403 and changes nothing."""
        stored = type(row)._default_manager.get(pk=row.pk)
        before, since = model_to_dict(stored), last_audit_pk()
        response = self.client.post(url, {"post": "yes", "name": "forged", "_save": "Save"})
        assert response.status_code == 403, f"{self.name}: {verb} must be refused (403), got {response.status_code}"
        after = type(row)._default_manager.filter(pk=row.pk).first()
        assert after is not None and model_to_dict(after) == before, f"{self.name}: a refused {verb} changed the row"
        assert not new_audit_rows(since), f"{self.name}: a refused {verb} wrote audit rows"

    def add(self) -> None:
        if not self.model_admin.has_add_permission(self.request):
            self.refused("add", self.url("add"), self.example.row(self.world))
            return
        since = last_audit_pk()
        data = {**self.form(self.url("add")), **values(self.example.add, self.world), "_save": "Save"}
        assert values(self.example.add, self.world), f"{self.name}: its admin adds rows; give form values in `add`."
        self.audited("add", since, self.client.post(self.url("add"), data))

    def change(self) -> None:
        row = self.example.row(self.world)
        url = self.url("change", row.pk)
        if not self.model_admin.has_change_permission(self.request, row):
            self.refused("change", url, row)
            return
        since = last_audit_pk()
        changes = values(self.example.change, self.world)
        assert changes, f"{self.name}: its admin changes rows; give form values in `change`."
        self.audited("change", since, self.client.post(url, {**self.form(url), **changes, "_save": "Save"}))

    def actions(self) -> None:
        for name in self.model_admin.get_actions(self.request):
            if name == "delete_selected":
                continue  # delete(), below, with a spare row
            row = self.example.row(self.world)
            since = last_audit_pk()
            posted = {"action": name, "_selected_action": [str(row.pk)], "index": "0", "select_across": "0"}
            self.audited(f"the list action {name!r}", since, self.client.post(self.url("changelist"), posted))

    def delete(self) -> None:
        if not self.model_admin.has_delete_permission(self.request):
            row = self.example.row(self.world)
            self.refused("delete", self.url("delete", row.pk), row)
            return
        assert self.example.spare is not None, f"{self.name}: its admin deletes rows; give a `spare` row to delete."
        one, more = self.example.spare(self.world), self.example.spare(self.world)
        since = last_audit_pk()
        self.audited("delete", since, self.client.post(self.url("delete", one.pk), {"post": "yes"}))
        since = last_audit_pk()
        selected = {"action": "delete_selected", "_selected_action": [str(more.pk)], "post": "yes"}
        self.audited("delete selected", since, self.client.post(self.url("changelist"), selected))
        assert not type(one)._default_manager.filter(pk__in=[one.pk, more.pk]).exists(), f"{self.name}: not deleted"


def _form_errors(response: Any) -> list[str]:
    """The errors an admin page shows when it did not save (it answers 200 with the form again)."""
    if response.status_code != 200 or "errorlist" not in response.content.decode():
        return []
    context = response.context or {}
    return [str(error) for form in [context.get("adminform")] if form for error in form.form.errors.items()] or [
        "(see the page)"
    ]


@pytest.mark.parametrize("model", _registered(), ids=lambda model: model._meta.label)
def test_every_admin_change_is_audited_and_every_refused_verb_is_refused(
    model: type[Model], world: World, admin_user: User
) -> None:
    example = ADMIN_EXAMPLES.get(model)
    assert example is not None, (
        f"{model._meta.label} is registered in the admin but has no entry in ADMIN_EXAMPLES "
        f"(tests/audit/test_walk.py): add how to make a row and, for the verbs its admin offers, the form values."
    )
    walker = AdminWalker(model, example, world, admin_user)

    walker.add()
    walker.change()
    walker.delete()
    walker.actions()  # last: some end or revoke the row


# --- the API -------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", _write_endpoints())
def test_every_api_write_is_audited(endpoint: str, world: World, admin_user: User) -> None:
    example = API_EXAMPLES.get(endpoint)
    assert example is not None, (
        f"{endpoint} writes but has no entry in API_EXAMPLES (tests/audit/test_walk.py): add the path with its "
        "parameters and a body that makes a real change, so the walk can check it is audited."
    )
    method, _ = endpoint.split(" ", 1)
    client = ApiClient(admin_user)
    path = example.path(world)
    body = values(example.body, world)
    since = last_audit_pk()

    if example.content_type == "text/csv":
        answer = client.client.post(f"/api/v1{path}", body["csv"], content_type="text/csv", headers=client.headers)
    elif example.content_type == "multipart/form-data":
        files = {name: SimpleUploadedFile(filename, content) for name, (filename, content) in body.items()}
        answer = client.client.post(f"/api/v1{path}", files, headers=client.headers)
    else:
        answer = client.client.generic(
            method, f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=client.headers
        )

    assert answer.status_code < 300, f"{endpoint}: answered {answer.status_code} {answer.content[:300]!r}"
    rows = [row for row in new_audit_rows(since) if row.channel == Door.API and row.actor == admin_user]
    assert rows, f"{endpoint} answered {answer.status_code} and left no audit row."
