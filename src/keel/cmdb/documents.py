"""The CMDB API's documents: each record as plain data for its response schema."""

from collections.abc import Iterable
from typing import Any

from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service


def ci_type_json(ci_type: CIType) -> dict[str, Any]:
    return {"id": ci_type.pk, "slug": ci_type.slug, "name": ci_type.name, "description": ci_type.description}


def ci_json(ci: ConfigurationItem) -> dict[str, Any]:
    try:
        service: str | None = ci.business_service.name
    except Service.DoesNotExist:
        service = None
    return {
        "id": ci.pk,
        "name": ci.name,
        "type": ci.ci_type.slug,
        "status": ci.status,
        "environment": ci.environment,
        "criticality": ci.criticality,
        "aliases": ci.aliases,
        "owner_team": ci.owner_team.slug if ci.owner_team is not None else None,
        "support_group": ci.support_group.slug if ci.support_group is not None else None,
        "location": ci.location,
        "attributes": ci.attributes,
        "description": ci.description,
        "service": service,
    }


def services_at_distance_json(services: Iterable[tuple[Service, int]]) -> list[dict[str, Any]]:
    """Business services a CI's failure reaches, with how far: the impact's and the proposal's answer."""
    return [
        {
            "id": service.pk,
            "name": service.name,
            "users": service.users,
            "criticality": service.criticality,
            "distance": distance,
        }
        for service, distance in services
    ]


def relationship_json(relationship: Relationship) -> dict[str, Any]:
    return {
        "id": relationship.pk,
        "source": {"id": relationship.source.pk, "name": relationship.source.name},
        "kind": relationship.kind,
        "target": {"id": relationship.target.pk, "name": relationship.target.name},
    }


def service_json(service: Service) -> dict[str, Any]:
    return {
        "id": service.pk,
        "name": service.name,
        "users": service.users,
        "criticality": service.criticality,
        "description": service.description,
        "owner_team": service.owner_team.slug if service.owner_team is not None else None,
        "ci": {"id": service.ci.pk, "name": service.ci.name} if service.ci is not None else None,
    }
