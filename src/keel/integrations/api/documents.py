"""The monitoring API's documents: each record as plain data for its response schema."""

from typing import Any

from keel.accounts.models import Team, User
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.models import number_for
from keel.integrations.actions.sources import IssuedSecret
from keel.integrations.models import Alert, AlertEvent, ChangeEvent, CorrelationRule, MaintenanceWindow, Source
from keel.integrations.states import SourceKind
from keel.lib import clock


def source_json(source: Source) -> dict[str, Any]:
    return {
        "id": source.pk,
        "name": source.name,
        "kind": source.kind,
        "description": source.description,
        "mapping": source.mapping,
        "identity_labels": source.identity_labels,
        "expire_after_s": source.expire_after_s,
        "assignment_group": team_json(source.assignment_group),
        "token_prefix": source.token_prefix,
        "created_at": source.created_at,
        "created_by": user_json(source.created_by),
        "revoked_at": source.revoked_at,
        "is_active": source.is_active,
    }


def issued_json(issued: IssuedSecret) -> dict[str, Any]:
    routing_key = issued.secret if issued.source.kind == SourceKind.PAGERDUTY else None
    return {
        **source_json(issued.source),
        "inbound_url": issued.url,
        "secret": issued.secret,
        "routing_key": routing_key,
    }


def alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "source": {"id": alert.source.pk, "name": alert.source.name, "kind": alert.source.kind},
        "identity": alert.identity,
        "status": alert.status,
        "severity": alert.severity,
        "summary": alert.summary,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "links": alert.links,
        "details": alert.details,
        "occurrences": alert.occurrences,
        "first_seen_at": alert.first_seen_at,
        "last_seen_at": alert.last_seen_at,
        "started_at": alert.started_at,
        "ends_at": alert.ends_at,
        "status_changed_at": alert.status_changed_at,
        "is_flapping": alert.is_flapping,
        "suppressed_by": alert.suppressed_by_id,
        "ci": named_json(alert.ci),
        "service": named_json(alert.service),
        "incident": number_for(alert.incident_id) if alert.incident_id is not None else None,
    }


def event_json(event: AlertEvent) -> dict[str, Any]:
    return {
        "at": event.at,
        "kind": event.kind,
        "note": event.note,
        "incident": number_for(event.incident_id) if event.incident_id is not None else None,
        "payload": event.payload_id,
    }


def window_json(window: MaintenanceWindow) -> dict[str, Any]:
    now = clock.now()
    state = "planned" if window.starts_at > now else "running" if window.ends_at > now else "ended"
    return {
        "id": window.pk,
        "name": window.name,
        "state": state,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "matchers": window.matchers,
        "ci": named_json(window.ci),
        "service": named_json(window.service),
        "reason": window.reason,
        "created_by": user_json(window.created_by),
        "created_at": window.created_at,
    }


def rule_json(rule: CorrelationRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "position": rule.position,
        "is_active": rule.is_active,
        "source": named_json(rule.source),
        "severities": rule.severities,
        "matchers": rule.matchers,
        "opens_incident": rule.opens_incident,
        "min_occurrences": rule.min_occurrences,
        "min_firing_s": rule.min_firing_s,
        "group_by": rule.group_by,
        "group_labels": rule.group_labels,
        "window_s": rule.window_s,
        "on_all_resolved": rule.on_all_resolved,
        "on_refire": rule.on_refire,
        "assignment_group": team_json(rule.assignment_group),
    }


def change_json(change: ChangeEvent) -> dict[str, Any]:
    return {
        "id": change.pk,
        "source": named_json(change.source),
        "summary": change.summary,
        "reported_by": change.reported_by,
        "at": change.at,
        "links": change.links,
        "details": change.details,
        "ci": named_json(change.ci),
    }


def named_json(record: ConfigurationItem | Service | Source | None) -> dict[str, Any] | None:
    """A related record as the schemas' ``Named``: its id and name."""
    return {"id": record.pk, "name": record.name} if record is not None else None


def team_json(team: Team | None) -> dict[str, Any] | None:
    return {"id": team.pk, "slug": team.slug, "name": team.name} if team is not None else None


def user_json(user: User | None) -> dict[str, Any] | None:
    return {"id": user.pk, "username": user.username, "name": user.name} if user is not None else None
