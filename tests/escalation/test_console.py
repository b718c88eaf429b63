"""Escalation and notifications in the console: policies built by an incident manager (refused to
an agent), the incident page's acknowledge and escalate-to-manager steps, and the inbox."""

from collections.abc import Callable

import pytest
from django.test import Client

from keel.accounts.actions import update_team
from keel.accounts.models import Team, User
from keel.accounts.roles import Role
from keel.escalation.models import EscalationPolicy
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.notifications.actions import Message, send
from keel.notifications.models import Event, Notification
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def manager(make_user: Callable[..., User], network_team: Team) -> User:
    mary = make_user("mary", Role.RESOLVER)
    update_team(network_team, actor=None, changes={"manager": mary})
    return mary


@pytest.fixture
def held(resolver: User, requester: User, network_team: Team) -> Incident:
    return open_incident(actor=resolver, caller=requester, title="Core switch down", assignment_group=network_team)


def page(person: User, incident: Incident) -> None:
    send(
        [
            Message(
                person.pk,
                f"page:{incident.pk}",
                Event.PAGED,
                "Paged: core switch",
                subject_type="incident",
                subject_id=incident.pk,
                link=f"/incidents/{incident.number}/",
                page=True,
            )
        ]
    )


def test_an_incident_manager_adds_a_policy_and_an_agent_may_only_read(
    incident_manager: User, agent: User, network_team: Team
) -> None:
    form = {
        "name": "P1 response",
        "position": "10",
        "is_active": "on",
        "priorities": ["1"],
        "groups": [str(network_team.pk)],
        "step1_when": "no_response",
        "step1_minutes": "10",
        "step1_notify": ["group_manager"],
        "step1_page": "on",
        "step2_when": "sla",
        "step2_clock": "resolution",
        "step2_percent": "75",
        "step2_notify": ["incident_managers"],
    }
    refused = signed_in(agent).post("/routing/escalation/new/", form)
    bad = signed_in(incident_manager).post("/routing/escalation/new/", {**form, "step1_notify": []})
    done = signed_in(incident_manager).post("/routing/escalation/new/", form)
    listed = signed_in(agent).get("/routing/escalation/").content.decode()

    policy = EscalationPolicy.objects.get()
    assert refused.status_code == 403
    assert bad.status_code == 400
    assert "notify must list whom" in bad.content.decode()
    assert done.status_code == 302
    assert [step["when"] for step in policy.steps] == ["no_response", "sla"]
    assert "No response 10 min after opening: page the group&#x27;s manager" in listed
    assert "Add a policy" not in listed


def test_an_edit_keeps_each_step_key(incident_manager: User) -> None:
    client = signed_in(incident_manager)
    client.post(
        "/routing/escalation/new/",
        {
            "name": "P1",
            "position": "1",
            "step1_when": "no_response",
            "step1_minutes": "5",
            "step1_notify": ["incident_managers"],
        },
    )
    policy = EscalationPolicy.objects.get()
    key = policy.steps[0]["key"]

    client.post(
        f"/routing/escalation/{policy.pk}/edit/",
        {
            "name": "P1",
            "position": "1",
            "step1_when": "no_response",
            "step1_minutes": "15",
            "step1_notify": ["incident_managers"],
        },
    )

    policy.refresh_from_db()
    assert (policy.steps[0]["key"], policy.steps[0]["minutes"]) == (key, 15)


def test_a_paged_member_acknowledges_from_the_incident_page(held: Incident, resolver: User) -> None:
    page(resolver, held)
    client = signed_in(resolver)

    shown = client.get(f"/incidents/{held.number}/").content.decode()
    done = client.post(f"/incidents/{held.number}/acknowledge/")
    again = client.get(f"/incidents/{held.number}/").content.decode()

    held.refresh_from_db()
    assert "Acknowledge: I am on it" in shown
    assert done.status_code == 302
    assert "Acknowledge: I am on it" not in again
    assert held.assignee == resolver


def test_escalating_to_the_manager_tells_them_and_needs_a_reason(held: Incident, resolver: User, manager: User) -> None:
    client = signed_in(resolver)

    shown = client.get(f"/incidents/{held.number}/").content.decode()
    refused = client.post(f"/incidents/{held.number}/escalate-to-manager/", {"note": ""})
    done = client.post(f"/incidents/{held.number}/escalate-to-manager/", {"note": "Vendor is not answering"})

    told = Notification.objects.get(recipient=manager)
    assert "Escalate to the manager (Mary)" in shown
    assert refused.status_code == 400
    assert done.status_code == 302
    assert told.title.startswith("Escalated to you by")
    assert manager in held.watchers.all()


def test_the_inbox_shows_ones_own_messages_and_opens_them(held: Incident, resolver: User, agent: User) -> None:
    page(resolver, held)
    mine = Notification.objects.get()

    bell = signed_in(resolver).get("/inbox/bell/").content.decode()
    listed = signed_in(resolver).get("/inbox/").content.decode()
    others = signed_in(agent).get("/inbox/").content.decode()
    stolen = signed_in(agent).post(f"/inbox/{mine.pk}/open/")
    opened = signed_in(resolver).post(f"/inbox/{mine.pk}/open/")

    mine.refresh_from_db()
    assert '>1<span class="visually-hidden"> unread' in bell
    assert "Paged: core switch" in listed
    assert "Paged: core switch" not in others
    assert stolen.status_code == 404
    assert (opened.status_code, opened["Location"]) == (302, f"/incidents/{held.number}/")
    assert mine.read_at is not None
