"""REST API v1 for incidents, through the real URL, auth and JSON."""

import json

import pytest

from keel.accounts.actions import ensure_team, issue_api_token, revoke_api_token
from keel.accounts.models import User
from keel.accounts.roles import Role
from keel.audit.models import AuditRecord
from keel.cmdb.models import CIType, ConfigurationItem, Service
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Category, Incident, pk_from_number
from keel.incidents.states import IncidentOrder, IncidentState
from keel.lib.database import postgres
from keel.lib.doors import Door
from keel.lib.sql import fetch
from tests.incidents.helpers import open_in_progress, open_resolved


def test_create_returns_201_with_the_incident(api, agent, requester, service_desk):
    response = api(agent).post(
        "/incidents",
        {
            "title": "Mail down",
            "impact": "high",
            "urgency": "medium",
            "caller": "rita",
            "assignment_group": "service-desk",
        },
    )

    body = response.json()
    assert response.status_code == 201
    assert (body["priority"], body["state"], body["caller"]["username"]) == ("P2", "assigned", "rita")
    assert body["number"].startswith("INC")
    assert body["opened_at"].endswith("Z")
    assert response["ETag"] == '"3"'
    assert response["Location"] == f"/api/v1/incidents/{body['number']}"


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"title": "x", "impact": "urgent"}, "impact", "'high', 'medium' or 'low'"),
        ({"impact": "high"}, "title", "required"),
        ({"title": "x", "service": "No Such Service"}, "service", "No service"),
        ({"title": "x", "assignment_group": "nope"}, "assignment_group", "No assignment group"),
        ({"title": "x", "priority": "P1"}, "priority", "Unknown field"),
    ],
    ids=["bad-impact", "no-title", "unknown-service", "unknown-group", "priority-not-writable"],
)
def test_create_with_bad_input_says_what_to_fix_and_stores_nothing(api, agent, body, field, fragment):
    response = api(agent).post("/incidents", body)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert fragment in response.json()["message"]
    assert Incident.objects.count() == 0


def test_malformed_json_is_a_400(api, agent):
    client = api(agent)
    response = client.client.post("/api/v1/incidents", "{nope", content_type="application/json", headers=client.headers)

    assert response.status_code == 400


def test_requester_becomes_the_caller(api, requester):
    response = api(requester).post("/incidents", {"title": "My screen flickers"})

    assert response.status_code == 201
    assert response.json()["caller"]["username"] == "rita"


def test_requester_cannot_log_for_someone_else(api, requester, other_requester):
    response = api(requester).post("/incidents", {"title": "Hers", "caller": "otto"})

    assert response.status_code == 403
    assert Incident.objects.count() == 0


def test_list_filters_and_paginates(api, agent, requester, service_desk):
    for title in ("VPN down", "VPN slow", "Printer jam"):
        open_incident(actor=agent, caller=requester, title=title, assignment_group=service_desk)
    open_incident(actor=agent, caller=requester, title="Unassigned VPN")

    response = api(agent).get("/incidents?state=assigned&q=vpn&limit=1")

    body = response.json()
    assert response.status_code == 200
    assert (body["count"], len(body["items"]), body["count_is_capped"]) == (2, 1, False)
    assert body["items"][0]["title"] == "VPN slow"


def test_list_count_stops_at_the_cap_and_says_so(api, agent, requester, monkeypatch):
    monkeypatch.setattr("keel.incidents.rows.COUNT_CAP", 3)
    for n in range(6):
        open_incident(actor=agent, caller=requester, title=f"Slow VPN {n}")

    first = api(agent).get("/incidents?limit=2").json()
    deeper = api(agent).get("/incidents?limit=2&offset=2").json()
    exact = api(agent).get("/incidents?limit=2&offset=4").json()

    assert (first["count"], first["count_is_capped"]) == (3, True)
    assert (deeper["count"], deeper["count_is_capped"]) == (5, True)
    assert (exact["count"], exact["count_is_capped"], len(exact["items"])) == (6, False, 2)


def test_list_rejects_unknown_filters_values(api, agent):
    assert api(agent).get("/incidents?state=open").json()["field"] == "state"
    assert api(agent).get("/incidents?priority=P9").json()["field"] == "priority"
    assert api(agent).get("/incidents?limit=1000").status_code == 400


def test_list_filters_by_group_and_assignee_named_by_id_slug_or_username(api, agent, resolver, requester, service_desk):
    network_team = resolver.teams.get()
    on_desk = open_incident(actor=agent, caller=requester, title="Desk", assignment_group=service_desk)
    on_network = open_incident(
        actor=agent, caller=requester, title="Switch", assignment_group=network_team, assignee=resolver
    )
    client = api(agent)

    def numbers(query: str) -> list[str]:
        response = client.get(f"/incidents?{query}")
        assert response.status_code == 200, response.json()
        return [item["number"] for item in response.json()["items"]]

    assert numbers("assignment_group=network") == [on_network.number]
    assert numbers(f"assignment_group={service_desk.pk}") == [on_desk.number]
    assert numbers(f"assignment_group=network,{service_desk.pk}") == [on_network.number, on_desk.number]
    assert numbers(f"assignee=nick&assignment_group={network_team.pk}") == [on_network.number]
    assert numbers(f"assignee={resolver.pk}") == [on_network.number]


def test_a_team_named_like_another_teams_id_is_found_by_name_unless_that_id_exists(api, agent, requester):
    digits = ensure_team(slug="4242", name="Digits")
    open_incident(actor=agent, caller=requester, title="Named by digits", assignment_group=digits)
    client = api(agent)

    by_name = client.get("/incidents?assignment_group=4242").json()["items"]
    by_id = client.get(f"/incidents?assignment_group={digits.pk}").json()["items"]

    assert [item["title"] for item in by_name] == [item["title"] for item in by_id] == ["Named by digits"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("assignment_group=nope", "No assignment group 'nope'; give a team id or slug."),
        ("assignment_group=network,nope", "No assignment group 'nope'"),
        ("assignee=ghost", "No user 'ghost' for assignee; give a user id or username."),
        ("assignee=gone", "No user 'gone' for assignee"),
    ],
    ids=["unknown-group", "one-of-two-unknown", "unknown-user", "inactive-user"],
)
@pytest.mark.usefixtures("network_team")
def test_list_filter_naming_no_record_says_which_and_what_to_give(api, agent, make_user, query, message):
    User.objects.filter(pk=make_user("gone", Role.RESOLVER).pk).update(is_active=False)  # left the company

    response = api(agent).get(f"/incidents?{query}")

    assert response.status_code == 400
    assert response.json()["field"] == query.partition("=")[0]
    assert message in response.json()["message"]


def test_requester_lists_only_their_own(api, agent, requester, other_requester):
    open_incident(actor=agent, caller=requester, title="Rita's")
    open_incident(actor=agent, caller=other_requester, title="Otto's")

    body = api(requester).get("/incidents").json()

    assert [item["title"] for item in body["items"]] == ["Rita's"]


def test_requester_gets_404_for_someone_elses_incident(api, incident, other_requester):
    client = api(other_requester)

    assert client.get(f"/incidents/{incident.number}").status_code == 404
    assert client.get(f"/incidents/{incident.number}/timeline").status_code == 404
    assert client.post(f"/incidents/{incident.number}/comments", {"body": "hi"}).status_code == 404
    assert client.patch(f"/incidents/{incident.number}", {"title": "mine"}).status_code == 404


def test_requester_cannot_edit_or_work_their_own(api, incident, requester):
    client = api(requester)

    assert client.patch(f"/incidents/{incident.number}", {"title": "Edited"}).status_code == 403
    assert client.post(f"/incidents/{incident.number}/transitions", {"to": "cancelled"}).status_code == 403
    assert client.post(f"/incidents/{incident.number}/comments", {"body": "x", "public": False}).status_code == 403
    assert Incident.objects.get(pk=incident.pk).version == 1


def test_requester_comments_confirms_and_reopens_their_own(api, agent, requester, service_desk):
    resolved = open_resolved(agent, requester, service_desk)
    client = api(requester)

    assert client.post(f"/incidents/{resolved.number}/comments", {"body": "Thanks!"}).status_code == 201
    reopened = client.post(f"/incidents/{resolved.number}/transitions", {"to": "in_progress", "note": "Broke again"})
    assert reopened.json()["reopen_count"] == 1

    again = open_resolved(agent, requester, service_desk)
    closed = client.post(f"/incidents/{again.number}/transitions", {"to": "closed"})
    assert closed.json()["state"] == "closed"


def test_resolver_outside_the_group_is_forbidden(api, agent, requester, service_desk, outsider_resolver):
    incident = open_in_progress(agent, requester, service_desk)
    client = api(outsider_resolver)

    assert client.get(f"/incidents/{incident.number}").status_code == 200
    assert client.patch(f"/incidents/{incident.number}", {"title": "x"}).status_code == 403
    response = client.post(
        f"/incidents/{incident.number}/transitions", {"to": "resolved", "resolution_code": "duplicate"}
    )
    assert response.status_code == 403
    assert Incident.objects.get(pk=incident.pk).state == IncidentState.IN_PROGRESS


def test_agent_cannot_work_another_groups_queue(api, agent, requester, network_team, resolver):
    incident = open_incident(actor=resolver, caller=requester, title="Core switch", assignment_group=network_team)

    response = api(agent).patch(f"/incidents/{incident.number}", {"urgency": "high"})

    assert response.status_code == 403


def test_patch_changes_fields_and_recomputes_priority(api, incident, agent):
    response = api(agent).patch(f"/incidents/{incident.number}", {"impact": "high"}, headers={"If-Match": '"1"'})

    assert response.status_code == 200
    assert (response.json()["priority"], response.json()["version"]) == ("P1", 2)
    assert response["ETag"] == '"2"'


def test_patch_refuses_state_and_names_the_transitions_endpoint(api, incident, agent):
    response = api(agent).patch(f"/incidents/{incident.number}", {"state": "resolved"})

    assert response.status_code == 400
    assert "/transitions" in response.json()["message"]


def test_stale_if_match_is_412_and_loses_nothing(api, incident, agent, incident_manager):
    first = api(agent).patch(f"/incidents/{incident.number}", {"title": "Agent's title"}, headers={"If-Match": '"1"'})
    second = api(incident_manager).patch(
        f"/incidents/{incident.number}", {"urgency": "low"}, headers={"If-Match": '"1"'}
    )

    assert (first.status_code, second.status_code) == (200, 412)
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.title, stored.urgency, stored.version) == ("Agent's title", 1, 2)


def test_transition_not_in_table_is_409(api, incident, agent):
    response = api(agent).post(
        f"/incidents/{incident.number}/transitions", {"to": "on_hold", "hold_reason": "awaiting_caller"}
    )

    assert response.status_code == 409
    assert "allowed next states" in response.json()["message"]


def test_transition_missing_required_field_is_422(api, agent, requester, service_desk):
    incident = open_in_progress(agent, requester, service_desk)

    for body, field in (({"to": "resolved"}, "resolution_code"), ({"to": "on_hold"}, "hold_reason")):
        response = api(agent).post(f"/incidents/{incident.number}/transitions", body)
        assert (response.status_code, response.json()["field"]) == (422, field)


def test_timeline_hides_work_notes_from_the_caller(api, incident, agent, requester):
    api(agent).post(f"/incidents/{incident.number}/comments", {"body": "Call the vendor", "public": False})
    api(agent).post(f"/incidents/{incident.number}/comments", {"body": "We are on it", "public": True})

    staff_view = [entry["body"] for entry in api(agent).get(f"/incidents/{incident.number}/timeline").json()]
    caller_view = [entry["body"] for entry in api(requester).get(f"/incidents/{incident.number}/timeline").json()]

    assert "Call the vendor" in staff_view
    assert "Call the vendor" not in caller_view
    assert "We are on it" in caller_view


def test_requests_without_a_valid_token_are_401(client, agent):
    revoked = issue_api_token(agent)
    revoke_api_token(revoked.token)

    assert client.get("/api/v1/incidents").status_code == 401
    assert client.get("/api/v1/incidents", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {revoked.raw}"}).status_code == 401
    assert "Bearer" in client.get("/api/v1/incidents").json()["message"]


def test_openapi_schema_is_published(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert "/api/v1/incidents/{number}/transitions" in response.json()["paths"]


def test_the_openapi_document_names_each_answer_once(client):
    # Python keeps the last of two equal keys; Swagger UI (a YAML parser) refuses the document.
    def unique(pairs):
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), f"a key given twice in {keys}"
        return dict(pairs)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=unique)


def test_list_costs_the_same_few_queries_for_any_page_size(
    api, agent, requester, service_desk, django_assert_max_num_queries
):
    client = api(agent)
    for index in range(30):
        open_incident(actor=agent, caller=requester, title=f"Disk full {index}", assignment_group=service_desk)
    client.get("/incidents?limit=1")  # the token's first use stamps last_used_at once

    # the token, the page's rows with the capped count, the records they name with their SLA clocks
    with django_assert_max_num_queries(3):
        small = client.get("/incidents?limit=2")
    with django_assert_max_num_queries(3):
        response = client.get("/incidents?limit=20")

    assert (len(small.json()["items"]), len(response.json()["items"])) == (2, 20)


@pytest.mark.skipif(not postgres(), reason="a PostgreSQL session's prepared statements")
def test_a_repeated_list_page_is_planned_once_per_connection(api, agent, requester, service_desk):
    client = api(agent)
    for index in range(3):
        open_incident(actor=agent, caller=requester, title=f"Disk full {index}", assignment_group=service_desk)
    for _ in range(8):  # psycopg prepares a statement on its fifth run
        assert (
            client.get("/incidents?state=new,assigned&priority=P2,P3,P4&assignment_group=service-desk").status_code
            == 200
        )

    # With parameters, PostgreSQL planned the page again on every run (custom plans).
    plans = fetch(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s", ["%capped%"]
    )
    assert len(plans) == 1
    assert plans[0][0] >= 1
    assert plans[0][1] == 0


def test_create_costs_a_handful_of_statements(api, agent, django_assert_max_num_queries):
    client = api(agent)
    client.get("/incidents?limit=1")  # the token's first use stamps last_used_at once

    # token, savepoint, priority rule, the routing rules' version, incident INSERT, its audit row
    # ("created"), timeline INSERT, SLA policy match (none here), release, and the incident's SLA
    # clocks for the answer
    with django_assert_max_num_queries(10):
        response = client.post("/incidents", {"title": "Wi-Fi drops", "impact": "medium"})

    assert response.status_code == 201


def test_writes_answer_exactly_what_a_read_shows(api, agent, requester, service_desk):
    client = api(agent)
    hardware = Category.objects.create(name="Hardware")
    Category.objects.create(name="Access control", parent=hardware)
    Service.objects.create(name="Building access")
    ConfigurationItem.objects.create(name="badge-reader-02", ci_type=CIType.objects.get(slug="server"))
    created = client.post(
        "/incidents",
        {
            "title": "Badge reader dead",
            "caller": "rita",
            "assignment_group": "service-desk",
            "assignee": "alice",
            "category": "Hardware",
            "subcategory": "Access control",
            "service": "Building access",
            "ci": "badge-reader-02",
        },
    )
    number = created.json()["number"]
    assert created.json() == client.get(f"/incidents/{number}").json()

    patched = client.patch(f"/incidents/{number}", {"urgency": "high"})

    assert created.json()["caller"] == {"id": requester.pk, "username": "rita", "name": "Rita"}
    assert patched.json() == client.get(f"/incidents/{number}").json()
    assert client.get("/incidents").json()["items"] == [client.get(f"/incidents/{number}").json()]


def test_an_unknown_order_is_refused_naming_the_parameter(api, agent):
    response = api(agent).get("/incidents?order=newest")

    assert response.status_code == 400
    assert response.json()["field"] == "order"
    assert "-opened_at" in response.json()["message"]


@pytest.mark.parametrize("order", [order.value for order in IncidentOrder])
def test_every_order_of_the_vocabulary_lists(api, agent, incident, order):
    response = api(agent).get(f"/incidents?order={order}")

    assert response.status_code == 200
    assert [item["number"] for item in response.json()["items"]] == [incident.number]


@pytest.mark.parametrize("field", ["title", "description", "caller", "channel", "impact", "urgency"])
def test_patch_refuses_null_for_a_field_that_cannot_be_empty(api, incident, agent, field):
    response = api(agent).patch(f"/incidents/{incident.number}", {field: None})

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert Incident.objects.get(pk=incident.pk).version == 1


def test_patch_null_clears_a_reference(api, agent, requester, service_desk):
    hardware = Category.objects.create(name="Hardware")
    incident = open_incident(actor=agent, caller=requester, title="Dock dead", category=hardware)

    response = api(agent).patch(f"/incidents/{incident.number}", {"category": None})

    assert response.status_code == 200
    assert response.json()["category"] is None


def test_every_change_through_the_api_is_audited_as_coming_through_it(api, agent):
    client = api(agent)
    number = client.post("/incidents", {"title": "Mail down"}).json()["number"]
    client.post(f"/incidents/{number}/comments", {"body": "Looking", "public": True})
    client.patch(f"/incidents/{number}", {"urgency": "high"})

    rows = AuditRecord.objects.filter(subject_type="incident", subject_id=pk_from_number(number))
    fields = list(rows.values_list("field", "channel"))
    assert fields[0] == ("created", Door.API)
    assert {"comment", "urgency", "priority"} <= {field for field, _ in fields}
    assert {channel for _, channel in fields} == {Door.API}
