"""The CI context on the incident form and Keel's impact proposal, through the real actions and views."""

from collections.abc import Callable, Sequence

import pytest
from django.test import Client

from keel.accounts.models import Team, User
from keel.activity.models import EntryKind, TimelineEntry
from keel.cmdb.actions import create_service, relate
from keel.cmdb.models import ConfigurationItem
from keel.incidents.actions.lifecycle import resolve_incident, transition_incident
from keel.incidents.actions.records import open_incident
from keel.incidents.context import ci_context
from keel.incidents.models import Incident
from keel.incidents.states import IncidentState, Level, ResolutionCode
from tests.conftest import PASSWORD, Graph

pytestmark = pytest.mark.django_db

Build = Callable[[Sequence[str]], Graph]


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
