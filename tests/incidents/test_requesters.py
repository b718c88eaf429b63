"""What a requester may say about their own report: how urgent it is for them, not its impact nor
the channel (where they report from), so a requester alone never opens a P1; and a parent only
among the incidents they may see, refused exactly as a number that does not exist."""

from collections.abc import Callable, Sequence

import pytest
from django.test import Client

from keel.accounts.models import User
from keel.activity.models import EntryKind, TimelineEntry
from keel.cmdb.actions.records import create_service
from keel.cmdb.actions.relationships import relate
from keel.incidents.actions.records import open_incident, update_incident
from keel.incidents.models import Incident
from keel.incidents.states import Channel, Level
from keel.lib.doors import Door, entering
from keel.lib.errors import InvalidInput, NotAllowed
from tests.conftest import PASSWORD, ApiClient, Graph

pytestmark = pytest.mark.django_db

Api = Callable[[User], ApiClient]


@pytest.fixture
def critical_ci(build_graph: Callable[[Sequence[str]], Graph]) -> str:
    """payments-db, on which the Online shop (critical, 25,000 users) depends: Keel proposes high impact."""
    graph = build_graph(["checkout-api depends_on payments-db"])
    service = create_service(actor=None, name="Online shop", users=25_000, criticality=1)
    assert service.ci is not None
    relate(actor=None, source=service.ci, target=graph["checkout-api"], kind="depends_on")
    return "payments-db"


def test_a_requester_says_how_urgent_it_is_and_cannot_make_it_a_p1(api: Api, requester: User) -> None:
    answer = api(requester).post("/incidents", {"title": "Payroll will not open", "urgency": "high"})

    assert answer.status_code == 201
    body = answer.json()
    assert (body["impact"], body["urgency"], body["priority"], body["channel"]) == ("low", "high", "P3", "api")


@pytest.mark.parametrize(
    ("given", "field", "fragment"),
    [
        ({"impact": "high"}, "impact", "The service desk assesses the impact"),
        ({"impact": "low"}, "impact", "leave impact out"),
        ({"channel": "phone"}, "channel", "Reports from here come in as API; leave the channel out."),
        ({"channel": "portal"}, "channel", "leave the channel out"),
    ],
)
def test_a_requester_cannot_set_impact_or_channel(
    api: Api, requester: User, given: dict[str, str], field: str, fragment: str
) -> None:
    answer = api(requester).post("/incidents", {"title": "Payroll will not open", "urgency": "high", **given})

    assert (answer.status_code, answer.json()["field"]) == (403, field)
    assert fragment in answer.json()["message"]
    assert not Incident.objects.exists()


def test_naming_the_channel_it_comes_in_by_is_no_choice(api: Api, requester: User) -> None:
    answer = api(requester).post("/incidents", {"title": "Payroll will not open", "channel": "api"})

    assert (answer.status_code, answer.json()["channel"]) == (201, "api")


def test_on_a_critical_ci_a_requesters_report_waits_for_the_service_desk(
    api: Api, requester: User, agent: User, critical_ci: str
) -> None:
    reported = api(requester).post("/incidents", {"title": "Cannot pay", "urgency": "high", "ci": critical_ci}).json()
    logged = api(agent).post("/incidents", {"title": "Cannot pay", "urgency": "high", "ci": critical_ci}).json()

    assert (reported["impact"], reported["priority"]) == ("low", "P3")
    assert (logged["impact"], logged["priority"], logged["channel"]) == ("high", "P1", "api")
    incident = Incident.objects.get(title="Cannot pay", impact=Level.LOW)
    [held] = TimelineEntry.objects.filter(subject_type="incident", subject_id=incident.pk, kind=EntryKind.SYSTEM)
    assert held.summary == "Impact low until the service desk assesses it; Keel proposed high from the CMDB"
    assert (held.is_public, held.data["impact_proposal"]["held"]) == (False, True)


def test_the_service_desk_still_sets_impact_and_channel(api: Api, agent: User, requester: User) -> None:
    answer = api(agent).post(
        "/incidents",
        {"title": "Mail down", "caller": "rita", "impact": "high", "urgency": "high", "channel": "phone"},
    )

    assert (answer.json()["priority"], answer.json()["channel"]) == ("P1", "phone")


def test_the_console_asks_a_requester_only_how_urgent_it_is(requester: User) -> None:
    client = Client()
    assert client.login(username=requester.username, password=PASSWORD)

    page = client.get("/incidents/new/").content.decode()
    sent = client.post("/incidents/new/", {"title": "Printer", "impact": "1", "urgency": "1", "channel": "phone"})

    assert "How urgent is it for you?" in page
    assert 'name="impact"' not in page
    assert 'name="channel"' not in page
    assert 'id="priority-preview"' not in page
    assert sent.status_code == 302
    incident = Incident.objects.get()
    assert (incident.impact, incident.urgency, incident.priority, incident.channel) == (
        Level.LOW,
        Level.HIGH,
        3,
        Channel.PORTAL,
    )


def test_the_action_holds_the_rule_whatever_the_door(requester: User) -> None:
    with pytest.raises(NotAllowed, match="assesses the impact"):
        open_incident(actor=requester, caller=requester, title="Payroll", impact=Level.HIGH, urgency=Level.HIGH)
    with entering(Door.CONSOLE), pytest.raises(NotAllowed, match="come in as Portal"):
        open_incident(actor=requester, caller=requester, title="Payroll", channel=Channel.PHONE)

    with entering(Door.CONSOLE):
        incident = open_incident(actor=requester, caller=requester, title="Payroll", urgency=Level.HIGH)

    assert (incident.priority, incident.channel) == (3, Channel.PORTAL)


# --- parent ----------------------------------------------------------------------------------


def test_a_parent_the_caller_may_not_see_is_answered_as_one_that_does_not_exist(
    api: Api, requester: User, other_requester: User, agent: User
) -> None:
    hidden = open_incident(actor=other_requester, caller=other_requester, title="Otto's laptop")
    own = open_incident(actor=requester, caller=requester, title="Rita's laptop")
    missing = f"INC{hidden.pk + 1000:07d}"
    client = api(requester)

    refused = client.post("/incidents", {"title": "Also broken", "parent": hidden.number})
    absent = client.post("/incidents", {"title": "Also broken", "parent": missing})
    accepted = client.post("/incidents", {"title": "Also broken", "parent": own.number})
    by_staff = api(agent).post("/incidents", {"title": "Also broken", "caller": "rita", "parent": hidden.number})

    assert (refused.status_code, absent.status_code) == (400, 400)
    assert refused.json() == {
        "message": absent.json()["message"].replace(missing, hidden.number),
        "field": "parent",
    }
    assert refused.json()["message"] == (
        f"No incident '{hidden.number}' to use as parent; give the number of one you can see (e.g. INC0000042)."
    )
    assert (accepted.status_code, accepted.json()["parent"]) == (201, own.number)
    assert by_staff.status_code == 201
    assert Incident.objects.filter(parent=hidden).count() == 1


def test_the_actions_refuse_a_parent_the_actor_may_not_see(requester: User, other_requester: User, agent: User) -> None:
    hidden = open_incident(actor=other_requester, caller=other_requester, title="Otto's laptop")
    mine = open_incident(actor=agent, caller=requester, title="Rita's laptop")

    with pytest.raises(InvalidInput, match="to use as parent") as refused:
        open_incident(actor=requester, caller=requester, title="Also broken", parent=hidden)
    updated = update_incident(mine, actor=agent, changes={"parent": hidden})

    assert refused.value.field == "parent"
    assert updated.parent == hidden
