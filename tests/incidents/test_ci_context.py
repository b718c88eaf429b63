"""The CI context on the incident form and Keel's impact proposal, through the real actions and views."""

from collections.abc import Callable, Sequence

import pytest
from django.test import Client

from keel.accounts.models import Team, User
from keel.activity.models import EntryKind, TimelineEntry
from keel.cmdb.actions.records import create_service
from keel.cmdb.actions.relationships import relate
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.actions.lifecycle import resolve_incident, transition_incident
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.incidents.queries.context import ci_context
from keel.incidents.states import IncidentState, Level, ResolutionCode
from tests.conftest import PASSWORD, ApiClient, Graph

pytestmark = pytest.mark.django_db

Build = Callable[[Sequence[str]], Graph]
Api = Callable[[User], ApiClient]


@pytest.fixture
def shop(build_graph: Build) -> Graph:
    """Online shop (critical, 25,000 users) → checkout-api → payments-db → storage; a lone printer."""
    graph = build_graph(["checkout-api depends_on payments-db", "payments-db hosted_on storage", "printer part_of lan"])
    service = create_service(actor=None, name="Online shop", users=25_000, criticality=1)
    assert service.ci is not None
    relate(actor=None, source=service.ci, target=graph["checkout-api"], kind="depends_on")
    return graph


def decisions(incident: Incident) -> list[TimelineEntry]:
    return list(TimelineEntry.objects.filter(subject_type="incident", subject_id=incident.pk, kind=EntryKind.SYSTEM))


def test_accepting_the_proposal_is_on_the_timeline(shop: Graph, agent: User, requester: User) -> None:
    incident = open_incident(
        actor=agent, caller=requester, title="Payments slow", ci=shop["payments-db"], impact=Level.HIGH
    )

    [entry] = decisions(incident)
    assert entry.summary == "Impact high, as Keel proposed from the CMDB"
    assert entry.body == (
        "Why Keel proposed it:\n"
        "- Online shop (25,000 users) depends on payments-db and is rated 1 – critical\n"
        "- The services that depend on it serve 25,000 users"
    )
    assert entry.data["impact_proposal"]["accepted"] is True
    assert (entry.actor, entry.is_public) == (agent, False)


def test_overriding_the_proposal_is_on_the_timeline_too(shop: Graph, agent: User, requester: User) -> None:
    incident = open_incident(
        actor=agent, caller=requester, title="Storage warning", ci=shop["storage"], impact=Level.LOW
    )

    [entry] = decisions(incident)
    assert entry.summary == "Impact set to low; Keel proposed high from the CMDB"
    assert entry.data["impact_proposal"] | {"reasons": []} == {
        "proposed": "high",
        "chosen": "low",
        "accepted": False,
        "given": True,
        "held": False,
        "reasons": [],
    }


def test_no_ci_no_proposal(agent: User, requester: User) -> None:
    incident = open_incident(actor=agent, caller=requester, title="Something odd")

    assert decisions(incident) == []


def test_other_open_incidents_on_a_ci_raise_the_proposal(shop: Graph, agent: User, requester: User) -> None:
    for title in ("Printer jams", "Printer offline"):
        open_incident(actor=agent, caller=requester, title=title, ci=shop["printer"])

    third = open_incident(actor=agent, caller=requester, title="Printer again", ci=shop["printer"])

    assert [entry.data["impact_proposal"]["proposed"] for entry in decisions(third)] == ["medium"]


def test_the_context_lists_services_open_and_recent_incidents(
    shop: Graph, agent: User, requester: User, service_desk: Team
) -> None:
    still_open = open_incident(actor=agent, caller=requester, title="DB failover", ci=shop["payments-db"])
    fixed = open_incident(actor=agent, caller=requester, title="DB disk full", ci=shop["payments-db"])
    transition_incident(fixed, IncidentState.IN_PROGRESS, actor=agent)
    resolve_incident(fixed, actor=agent, code=ResolutionCode.SOLVED_PERMANENTLY)

    context = ci_context(shop["payments-db"], user=agent)

    assert [(service.name, distance) for service, distance in context.services] == [("Online shop", 2)]
    assert context.users == 25_000
    assert (context.open_incidents, context.open_count) == ([still_open], 1)
    assert context.recent_incidents == [fixed]
    assert context.proposed_level == Level.HIGH


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_panel_shows_what_depends_on_the_typed_ci(shop: Graph, agent: User) -> None:
    page = signed_in(agent).get("/incidents/ci-context/", {"ci": "payments-db"}, headers={"HX-Request": "true"})

    html = page.content.decode()
    assert "What depends on payments-db" in html
    assert 'Keel proposes <strong class="impact-proposal">High impact</strong>' in html
    assert 'data-set-impact="1"' in html
    assert "25,000" in html


def test_the_panel_says_when_the_ci_is_unknown(shop: Graph, agent: User) -> None:
    page = signed_in(agent).get("/incidents/ci-context/", {"ci": "ghost"})

    assert "No CI named &#x27;ghost&#x27; in the CMDB" in page.content.decode()


def test_a_requester_gets_no_panel(shop: Graph, requester: User) -> None:
    page = signed_in(requester).get("/incidents/ci-context/", {"ci": "payments-db"})

    assert page.content.decode().strip() == ""


def test_without_javascript_the_look_up_button_shows_the_panel_and_logs_nothing(
    shop: Graph, agent: User, requester: User
) -> None:
    page = signed_in(agent).post(
        "/incidents/new/",
        {"caller": "rita", "title": "Payments slow", "ci": "payments-db", "impact": "3", "urgency": "2",
         "channel": "phone", "look_up_ci": "1"},
    )  # fmt: skip

    html = page.content.decode()
    assert page.status_code == 200
    assert "What depends on payments-db" in html
    assert 'value="Payments slow"' in html
    assert not Incident.objects.exists()


def test_the_ci_on_the_record_page_links_to_its_cmdb_record(shop: Graph, agent: User, requester: User) -> None:
    incident = open_incident(actor=agent, caller=requester, title="Payments slow", ci=shop["payments-db"])

    page = signed_in(agent).get(f"/incidents/{incident.number}/")

    ci = ConfigurationItem.objects.get(name="payments-db")
    assert f'href="/cmdb/cis/{ci.pk}/"' in page.content.decode()


# --- an impact left out takes the proposal; the proposal over the API ---------------------------


def test_without_an_impact_an_incident_on_a_ci_takes_the_proposal(shop: Graph, agent: User, requester: User) -> None:
    incident = open_incident(actor=agent, caller=requester, title="Storage warning", ci=shop["storage"])

    [entry] = decisions(incident)
    assert (incident.impact, incident.priority) == (Level.HIGH, 3)
    assert entry.summary == "Impact high, as Keel proposed from the CMDB (no impact was given)"
    assert entry.data["impact_proposal"] | {"reasons": []} == {
        "proposed": "high",
        "chosen": "high",
        "accepted": True,
        "given": False,
        "held": False,
        "reasons": [],
    }


def test_without_an_impact_or_a_ci_the_impact_is_low(agent: User, requester: User) -> None:
    incident = open_incident(actor=agent, caller=requester, title="Something odd")

    assert (incident.impact, incident.priority, decisions(incident)) == (Level.LOW, 5, [])


def timeline_summaries(client: ApiClient, number: str) -> list[str]:
    return [entry["summary"] for entry in client.get(f"/incidents/{number}/timeline").json()]


def test_an_api_create_without_impact_on_a_critical_ci_takes_high(
    shop: Graph, agent: User, requester: User, api: Api
) -> None:
    client = api(agent)

    created = client.post("/incidents", {"title": "Storage latency", "caller": "rita", "ci": "storage"})

    body = created.json()
    assert (created.status_code, body["impact"], body["priority"], body["ci"]["name"]) == (201, "high", "P3", "storage")
    assert "Impact high, as Keel proposed from the CMDB (no impact was given)" in timeline_summaries(
        client, body["number"]
    )


def test_an_api_create_with_a_lower_impact_records_the_override(
    shop: Graph, agent: User, requester: User, api: Api
) -> None:
    client = api(agent)

    body = client.post("/incidents", {"title": "Storage latency", "caller": "rita", "ci": "storage", "impact": "low"})

    assert body.json()["impact"] == "low"
    assert "Impact set to low; Keel proposed high from the CMDB" in timeline_summaries(client, body.json()["number"])


def test_an_api_create_without_impact_or_ci_is_low(agent: User, requester: User, api: Api) -> None:
    body = api(agent).post("/incidents", {"title": "Odd noise", "caller": "rita"}).json()

    assert (body["impact"], body["priority"]) == ("low", "P5")


def test_incidents_take_ci_and_service_by_id(shop: Graph, agent: User, requester: User, api: Api) -> None:
    service = Service.objects.get(name="Online shop")

    body = (
        api(agent)
        .post(
            "/incidents",
            {"title": "Checkout fails", "caller": "rita", "ci": shop["checkout-api"].pk, "service": service.pk},
        )
        .json()
    )
    patched = api(agent).patch(f"/incidents/{body['number']}", {"ci": str(shop["payments-db"].pk)}).json()

    assert (body["ci"], body["service"]) == (
        {"id": shop["checkout-api"].pk, "name": "checkout-api"},
        {"id": service.pk, "name": "Online shop"},
    )
    assert patched["ci"] == {"id": shop["payments-db"].pk, "name": "payments-db"}


def test_the_proposal_over_the_api(shop: Graph, agent: User, requester: User, api: Api) -> None:
    open_incident(actor=agent, caller=requester, title="DB failover", ci=shop["payments-db"])
    service = Service.objects.get(name="Online shop")

    by_name = api(agent).get("/cis/payments-db/proposal")
    by_id = api(agent).get(f"/cis/{shop['payments-db'].pk}/proposal")

    assert by_name.status_code == 200
    assert by_name.json() == by_id.json()
    assert by_name.json() == {
        "ci": {"id": shop["payments-db"].pk, "name": "payments-db"},
        "impact": "high",
        "reasons": [
            "Online shop (25,000 users) depends on payments-db and is rated 1 – critical",
            "The services that depend on it serve 25,000 users",
        ],
        "services": [{"id": service.pk, "name": "Online shop", "users": 25_000, "criticality": 1, "distance": 2}],
        "users": 25_000,
        "open_incidents": 1,
    }


def test_the_proposal_of_a_lone_ci_is_low(shop: Graph, agent: User, api: Api) -> None:
    body = api(agent).get("/cis/printer/proposal").json()

    assert (body["impact"], body["services"], body["users"]) == ("low", [], 0)
    assert body["reasons"] == ["No business service depends on printer and it is not rated critical"]


def test_the_proposal_is_for_the_service_desk_and_names_an_existing_ci(
    shop: Graph, agent: User, requester: User, api: Api
) -> None:
    refused = api(requester).get("/cis/payments-db/proposal")
    unknown = api(agent).get("/cis/ghost/proposal")

    assert refused.status_code == 403
    assert refused.json()["message"] == (
        "Keel's impact proposal is for the service desk: it counts the incidents open on the CI."
    )
    assert unknown.status_code == 404
    assert unknown.json() == {
        "message": "No configuration item 'ghost'; give a CI id or its exact name.",
        "field": "id",
    }
