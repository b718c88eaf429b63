"""One record of every kind Keel keeps, made through the actions as people would, for the tests
that walk every admin and every endpoint (the audit walk, the API fuzzer)."""

from datetime import timedelta
from functools import cached_property
from itertools import count
from typing import Final

import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from keel.accounts.actions import create_team, create_user, issue_api_token, update_team
from keel.accounts.models import ApiToken, Team, User
from keel.accounts.roles import Role
from keel.audit.models import AuditRecord
from keel.cmdb.actions.records import create_ci, create_ci_type, create_service, ensure_default_ci_types
from keel.cmdb.actions.relationships import relate
from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service
from keel.escalation.actions import create_policy as create_escalation_policy
from keel.escalation.models import EscalationPolicy
from keel.incidents.actions.records import open_incident
from keel.incidents.actions.reference import create_category
from keel.incidents.models import Category, Incident, PriorityRule
from keel.incidents.states import Level
from keel.incidents.tasks import close_stale_resolved_incidents_task
from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.rules import create_rule
from keel.integrations.actions.sources import IssuedSecret, create_source
from keel.integrations.actions.windows import create_maintenance_window
from keel.integrations.models import Alert, ChangeEvent, CorrelationRule, MaintenanceWindow, Payload
from keel.integrations.states import SourceKind
from keel.lib import clock
from keel.notifications.actions import Message, send
from keel.notifications.models import Event
from keel.oncall.actions import create_layer, create_override, create_schedule, create_working_hours
from keel.oncall.models import Layer, Override, Schedule, WorkingHours
from keel.routing.actions import create_group_assignment
from keel.routing.actions import create_rule as create_routing_rule
from keel.routing.models import GroupAssignment, RoutingRule
from keel.sla.actions.setup import create_calendar, create_policy
from keel.sla.models import Calendar, Clock, Policy
from tests.conftest import PASSWORD
from tests.integrations.conftest import Sender, captured

OFFICE_HOURS: Final = [
    {"weekday": day, "opens": "09:00", "closes": "17:00"} for day in ("mon", "tue", "wed", "thu", "fri")
]


class World:
    """One record of every kind, each made on first use through the actions, as people would."""

    def __init__(self) -> None:
        self._numbers = count(1)
        self.types = ensure_default_ci_types()

    def number(self) -> int:
        return next(self._numbers)

    @cached_property
    def person(self) -> User:
        return create_user(username="alice", role=Role.AGENT, password=PASSWORD, name="Alice")

    def spare_person(self) -> User:
        return create_user(username=f"temp-{self.number()}", role=Role.REQUESTER)

    @cached_property
    def team(self) -> Team:
        return create_team(actor=None, slug="network", name="Network")

    def spare_team(self) -> Team:
        return create_team(actor=None, slug=f"spare-{self.number()}", name="Spare")

    @cached_property
    def token(self) -> ApiToken:
        return issue_api_token(self.person, name="laptop").token

    def spare_ci_type(self) -> CIType:
        return create_ci_type(actor=None, slug=f"gadget-{self.number()}", name="Gadget")

    @cached_property
    def ci(self) -> ConfigurationItem:
        return create_ci(actor=None, name="web-01", ci_type=self.types["server"])

    @cached_property
    def other_ci(self) -> ConfigurationItem:
        return create_ci(actor=None, name="db-01", ci_type=self.types["database"])

    def spare_ci(self) -> ConfigurationItem:
        return create_ci(actor=None, name=f"spare-{self.number()}", ci_type=self.types["server"])

    @cached_property
    def relationship(self) -> Relationship:
        return relate(actor=None, source=self.ci, target=self.other_ci, kind="depends_on")

    def spare_relationship(self) -> Relationship:
        return relate(actor=None, source=self.spare_ci(), target=self.other_ci, kind="runs_on")

    @cached_property
    def service(self) -> Service:
        return create_service(actor=None, name="Shop", users=10)

    def spare_service(self) -> Service:
        return create_service(actor=None, name=f"Spare {self.number()}")

    @cached_property
    def category(self) -> Category:
        return create_category(actor=None, name="Network")

    @cached_property
    def subcategory(self) -> Category:
        return create_category(actor=None, name="Wi-Fi", parent=self.category)

    def spare_category(self) -> Category:
        return create_category(actor=None, name=f"Spare {self.number()}")

    @cached_property
    def priority_rule(self) -> PriorityRule:
        return PriorityRule.objects.get(impact=Level.LOW, urgency=Level.LOW)

    @cached_property
    def calendar(self) -> Calendar:
        fields = {"name": "Office hours", "zone": "Europe/London", "windows": OFFICE_HOURS}
        return create_calendar(actor=None, fields=fields)

    def spare_calendar(self) -> Calendar:
        return create_calendar(
            actor=None, fields={"name": f"Spare {self.number()}", "zone": "UTC", "windows": OFFICE_HOURS}
        )

    @cached_property
    def policy(self) -> Policy:
        fields = {
            "name": "Everything",
            "position": 10,
            "calendar": self.calendar,
            "response_target_s": 3600,
            "resolution_target_s": 8 * 3600,
        }
        return create_policy(actor=None, fields=fields)

    @cached_property
    def incident(self) -> Incident:
        self.policy  # noqa: B018 — the incident's clocks follow the policy
        return open_incident(actor=self.person, caller=self.person, title="VPN down", urgency=Level.HIGH)

    @cached_property
    def escalatable_incident(self) -> Incident:
        """An incident in a group that has a next tier."""
        update_team(self.team, actor=None, changes={"escalates_to": self.spare_team()})
        return open_incident(actor=None, caller=self.person, title="VPN drops", assignment_group=self.team)

    @cached_property
    def reroutable_incident(self) -> Incident:
        """An incident in one group that a routing rule sends to another."""
        create_routing_rule(actor=None, fields={"name": "To the spare team", "assignment_group": self.spare_team()})
        return open_incident(actor=None, caller=self.person, title="Slow", assignment_group=self.team)

    @cached_property
    def escalation_policy(self) -> EscalationPolicy:
        return self.spare_escalation_policy()

    def spare_escalation_policy(self) -> EscalationPolicy:
        steps = [{"when": "no_response", "minutes": 30, "notify": ["group_manager"]}]
        fields = {"name": f"P1 response {self.number()}", "priorities": [1], "steps": steps}
        return create_escalation_policy(actor=None, fields=fields)

    @cached_property
    def paged_incident(self) -> Incident:
        """An incident in the world's team whose page to every administrator nobody has answered."""
        incident = open_incident(actor=None, caller=self.person, title="Core switch down", assignment_group=self.team)
        admins = User.objects.filter(role=Role.ADMIN)
        send(
            [
                Message(
                    admin.pk,
                    f"page:{incident.pk}",
                    Event.PAGED,
                    "Paged",
                    subject_type="incident",
                    subject_id=incident.pk,
                    page=True,
                )
                for admin in admins
            ]
        )
        return incident

    @cached_property
    def clock(self) -> Clock:
        return Clock.objects.filter(incident_id=self.incident.pk).order_by("pk").first() or pytest.fail("no clock")

    @cached_property
    def source(self) -> IssuedSecret:
        return create_source(actor=None, name="prod-alertmanager", kind=SourceKind.ALERTMANAGER)

    @cached_property
    def alert(self) -> Alert:
        Sender().post(self.source.url, captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")["json"])
        process_pending()
        return Alert.objects.order_by("pk").first() or pytest.fail("the alert was not stored")

    @cached_property
    def payload(self) -> Payload:
        self.alert  # noqa: B018 — the alert arrived in this payload
        return Payload.objects.order_by("pk").first() or pytest.fail("no payload")

    @cached_property
    def change_event(self) -> ChangeEvent:
        pagerduty = create_source(actor=None, name="ci-runner", kind=SourceKind.PAGERDUTY)
        event = captured("pagerduty", "python-pagerduty-7.2.0-events-v2-change")["json"]
        Sender().post(pagerduty.url + "/v2/change/enqueue", {**event, "routing_key": pagerduty.secret})
        process_pending()
        return ChangeEvent.objects.order_by("pk").first() or pytest.fail("no change event")

    @cached_property
    def window(self) -> MaintenanceWindow:
        start = clock.now() + timedelta(days=1)
        return create_maintenance_window(
            actor=None, name="Patch night", starts_at=start, ends_at=start + timedelta(hours=2), ci=self.ci
        )

    @cached_property
    def rule(self) -> CorrelationRule:
        return create_rule(actor=None, fields={"name": "Shop alerts", "position": 10})

    @cached_property
    def routing_rule(self) -> RoutingRule:
        return create_routing_rule(actor=None, fields={"name": "Wi-Fi on site", "assignment_group": self.team})

    @cached_property
    def group_assignment(self) -> GroupAssignment:
        return create_group_assignment(actor=None, fields={"team": self.team, "strategy": "round_robin"})

    def spare_group_assignment(self) -> GroupAssignment:
        return create_group_assignment(actor=None, fields={"team": self.spare_team(), "strategy": "least_loaded"})

    def spare_routing_rule(self) -> RoutingRule:
        return create_routing_rule(actor=None, fields={"name": f"Spare {self.number()}", "assignment_group": self.team})

    @cached_property
    def schedule(self) -> Schedule:
        fields = {"team": self.team, "name": "Network primary", "time_zone": "Europe/Berlin"}
        return create_schedule(actor=None, fields=fields)

    def spare_schedule(self) -> Schedule:
        fields = {"team": self.spare_team(), "name": f"Spare {self.number()}", "time_zone": "UTC"}
        return create_schedule(actor=None, fields=fields)

    @cached_property
    def layer(self) -> Layer:
        return self.spare_layer()

    def spare_layer(self) -> Layer:
        fields = {"name": f"Weekly {self.number()}", "handoff_time": "09:00", "start_date": "2026-03-02"}
        return create_layer(actor=None, fields={"schedule": self.schedule, "members": [self.person.pk], **fields})

    @cached_property
    def override(self) -> Override:
        return self.spare_override()

    def spare_staff(self) -> User:
        return create_user(username=f"staff-{self.number()}", role=Role.RESOLVER)

    @cached_property
    def working_hours(self) -> WorkingHours:
        return self.spare_working_hours()

    def spare_working_hours(self) -> WorkingHours:
        return create_working_hours(actor=None, fields={"person": self.spare_staff(), "calendar": self.calendar})

    def spare_override(self) -> Override:
        start = clock.now() + timedelta(days=self.number())
        fields = {"person": self.person, "starts_at": start, "ends_at": start + timedelta(hours=8)}
        return create_override(actor=None, fields={"schedule": self.schedule, **fields})

    @cached_property
    def task_result(self) -> DBTaskResult:
        with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
            close_stale_resolved_incidents_task.enqueue()
        return DBTaskResult.objects.get()

    @cached_property
    def audit_row(self) -> AuditRecord:
        return (
            AuditRecord.objects.filter(subject_type="ci", subject_id=self.ci.pk).order_by("pk").first() or pytest.fail()
        )
