"""Roles and what they may do, as data. Permission predicates ask for capabilities, never roles."""

from collections.abc import Mapping
from typing import Final

from django.db import models


class Role(models.TextChoices):
    REQUESTER = "requester", "Requester"
    AGENT = "agent", "Service-desk agent"
    RESOLVER = "resolver", "Resolver"
    INCIDENT_MANAGER = "incident_manager", "Incident manager"
    CONFIGURATION_MANAGER = "configuration_manager", "Configuration manager"
    ADMIN = "admin", "Administrator"


class Capability(models.TextChoices):
    REPORT_INCIDENT = "report_incident", "Report an incident as its caller"
    LOG_INCIDENT = "log_incident", "Log an incident for any caller"
    VIEW_ALL_INCIDENTS = "view_all_incidents", "See every incident"
    WORK_UNASSIGNED = "work_unassigned", "Triage incidents no group holds yet"
    WORK_ANY_QUEUE = "work_any_queue", "Work incidents of any assignment group"
    WRITE_WORK_NOTES = "write_work_notes", "Write internal work notes"
    ADMINISTER = "administer", "Manage users, teams and reference data"
    MANAGE_CMDB = "manage_cmdb", "Change the CMDB: CI types, CIs, relationships, services"
    MANAGE_SLA = "manage_sla", "Manage SLA calendars and policies"
    MANAGE_INTEGRATIONS = "manage_integrations", "Manage monitoring sources, correlation rules, maintenance windows"
    MANAGE_ROUTING = "manage_routing", "Manage routing rules: where new incidents go"
    MANAGE_ONCALL = "manage_oncall", "Manage on-call schedules, their rotations and overrides"


_STAFF: Final = frozenset(
    {Capability.REPORT_INCIDENT, Capability.LOG_INCIDENT, Capability.VIEW_ALL_INCIDENTS, Capability.WRITE_WORK_NOTES}
)

ROLE_CAPABILITIES: Final[Mapping[Role, frozenset[Capability]]] = {
    Role.REQUESTER: frozenset({Capability.REPORT_INCIDENT}),
    Role.AGENT: _STAFF | {Capability.WORK_UNASSIGNED},
    Role.RESOLVER: _STAFF,
    Role.INCIDENT_MANAGER: _STAFF
    | {
        Capability.WORK_UNASSIGNED,
        Capability.WORK_ANY_QUEUE,
        Capability.MANAGE_SLA,
        Capability.MANAGE_INTEGRATIONS,
        Capability.MANAGE_ROUTING,
        Capability.MANAGE_ONCALL,
    },
    # Keeps the CMDB; works incidents like a resolver, in the groups they belong to.
    Role.CONFIGURATION_MANAGER: _STAFF | {Capability.MANAGE_CMDB},
    Role.ADMIN: _STAFF
    | {
        Capability.WORK_UNASSIGNED,
        Capability.WORK_ANY_QUEUE,
        Capability.ADMINISTER,
        Capability.MANAGE_CMDB,
        Capability.MANAGE_SLA,
        Capability.MANAGE_INTEGRATIONS,
        Capability.MANAGE_ROUTING,
        Capability.MANAGE_ONCALL,
    },
}
