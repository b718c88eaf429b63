"""The incident API's answers that are written as raw bytes (the document of queries/documents.py,
encoded by orjson, which django-ninja never checks) against the OpenAPI schema each declares."""

from collections.abc import Callable

import pytest

from keel.accounts.models import Team, User
from keel.cmdb.models import CIType, ConfigurationItem, Service
from keel.demo.service_levels import create_service_levels
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Category, Incident
from keel.sla.models import Policy
from tests.api_schema import assert_matches_openapi
from tests.conftest import ApiClient

INCIDENT = "/api/v1/incidents/{number}"


@pytest.fixture
def always(db: None) -> list[Policy]:
    """The demo's policies, one for every priority: every answer carries running SLA clocks."""
    return create_service_levels()


@pytest.fixture
def filled(agent: User, requester: User, service_desk: Team, always: list[Policy]) -> Incident:
    """An incident with every related record set: each field of the document shows something."""
    hardware = Category.objects.create(name="Hardware")
    parent = open_incident(actor=agent, caller=requester, title="All docks dead")
    return open_incident(
        actor=agent,
        caller=requester,
        title="Dock on desk 4 dead",
        category=hardware,
        subcategory=Category.objects.create(name="Docks", parent=hardware),
        service=Service.objects.create(name="Workplace"),
        ci=ConfigurationItem.objects.create(name="dock-04", ci_type=CIType.objects.get(slug="server")),
        assignment_group=service_desk,
        assignee=agent,
        parent=parent,
    )


def test_create_answers_match_their_schema(api: Callable[[User], ApiClient], agent: User, always: list[Policy]) -> None:
    response = api(agent).post(
        "/incidents", {"title": "Mail down", "impact": "high", "assignment_group": "service-desk"}
    )

    assert_matches_openapi(response, "/api/v1/incidents", "post", 201)


def test_list_answers_match_their_schema(
    api: Callable[[User], ApiClient], agent: User, requester: User, filled: Incident
) -> None:
    open_incident(actor=agent, caller=requester, title="Nothing set but the title")

    response = api(agent).get("/incidents?order=priority")

    assert len(response.json()["items"]) == 3
    assert_matches_openapi(response, "/api/v1/incidents", "get", 200)


def test_detail_answers_match_their_schema(api: Callable[[User], ApiClient], agent: User, filled: Incident) -> None:
    response = api(agent).get(f"/incidents/{filled.number}")

    assert response.json()["sla"]
    assert_matches_openapi(response, INCIDENT, "get", 200)


def test_patch_answers_match_their_schema(api: Callable[[User], ApiClient], agent: User, filled: Incident) -> None:
    response = api(agent).patch(f"/incidents/{filled.number}", {"urgency": "high", "service": None})

    assert_matches_openapi(response, INCIDENT, "patch", 200)


def test_transition_answers_match_their_schema(api: Callable[[User], ApiClient], agent: User, filled: Incident) -> None:
    client = api(agent)
    client.post(f"/incidents/{filled.number}/transitions", {"to": "on_hold", "hold_reason": "awaiting_vendor"})

    response = client.post(
        f"/incidents/{filled.number}/transitions",
        {"to": "resolved", "resolution_code": "solved_remotely", "resolution_notes": "Replaced the dock"},
    )

    assert response.json()["resolved_at"] is not None
    assert_matches_openapi(response, f"{INCIDENT}/transitions", "post", 200)
