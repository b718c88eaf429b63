"""The escalation and notifications API: policies for incident managers (an agent and a requester
are refused), clear refusals of bad steps, escalation to the manager, acknowledgement, the inbox."""

import typing
from collections.abc import Callable

import pytest

from keel.accounts.actions import update_team
from keel.accounts.models import Team, User
from keel.accounts.roles import Role
from keel.escalation.actions import CHANNELS
from keel.escalation.models import EscalationPolicy
from keel.escalation.schemas import ChannelName
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.incidents.states import Channel
from keel.notifications.actions import Message, send
from keel.notifications.models import Event, Notification
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db

STEP = {"when": "no_response", "minutes": 10, "notify": ["group_manager"], "page": True}


@pytest.fixture
def held(resolver: User, requester: User, network_team: Team) -> Incident:
    return open_incident(actor=resolver, caller=requester, title="Core switch down", assignment_group=network_team)


def test_incident_managers_manage_policies_and_others_are_refused(
    api: Callable[[User], ApiClient], incident_manager: User, agent: User, requester: User, network_team: Team
) -> None:
    body = {"name": "P1", "priorities": [1], "group_ids": [network_team.pk], "steps": [STEP]}
    by_agent = api(agent).post("/escalation/policies", body)
    by_requester = api(requester).post("/escalation/policies", body)
    created = api(incident_manager).post("/escalation/policies", body)
    read_by_agent = api(agent).get(f"/escalation/policies/{created.json()['id']}")
    read_by_requester = api(requester).get("/escalation/policies")
    patched_by_agent = api(agent).patch(f"/escalation/policies/{created.json()['id']}", {"position": 1})

    assert (by_agent.status_code, by_requester.status_code) == (403, 403)
    assert created.status_code == 201
    step = created.json()["steps"][0]
    assert (step["summary"], len(step["key"])) == ("No response 10 min after opening: page the group's manager", 8)
    assert read_by_agent.status_code == 200
    assert read_by_requester.status_code == 403
    assert patched_by_agent.status_code == 403
    assert EscalationPolicy.objects.count() == 1


@pytest.mark.parametrize(
    ("step", "says"),
    [
        ({"when": "sla", "notify": ["group_manager"]}, "clock must be response or resolution"),
        ({"when": "sla", "clock": "resolution", "notify": ["group_manager"]}, "percent must be"),
        ({"when": "unacknowledged", "minutes": 0, "notify": ["on_call"]}, "at least 1"),
    ],
)
def test_a_step_that_cannot_work_is_refused_saying_why(
    api: Callable[[User], ApiClient], incident_manager: User, step: dict[str, object], says: str
) -> None:
    answer = api(incident_manager).post("/escalation/policies", {"name": "P1", "steps": [step]})

    assert answer.status_code in {400, 422}
    assert says in answer.json()["message"]
    assert not EscalationPolicy.objects.exists()


def test_an_unknown_group_is_refused(api: Callable[[User], ApiClient], incident_manager: User) -> None:
    answer = api(incident_manager).post("/escalation/policies", {"name": "P1", "group_ids": [999], "steps": [STEP]})

    assert answer.status_code == 400
    assert "No assignment group has id 999" in answer.json()["message"]


def test_escalating_to_the_manager_through_the_api(
    api: Callable[[User], ApiClient], held: Incident, resolver: User, make_user: Callable[..., User], network_team: Team
) -> None:
    without = api(resolver).post(f"/incidents/{held.number}/escalate", {"note": "Help", "to": "manager"})
    mary = make_user("mary", Role.RESOLVER)
    update_team(network_team, actor=None, changes={"manager": mary})
    done = api(resolver).post(f"/incidents/{held.number}/escalate", {"note": "Help", "to": "manager"})

    assert without.status_code == 409
    assert "no manager" in without.json()["message"]
    assert done.status_code == 200
    assert Notification.objects.filter(recipient=mary, event=Event.ESCALATED).count() == 1


def test_acknowledging_through_the_api(
    api: Callable[[User], ApiClient], held: Incident, resolver: User, agent: User
) -> None:
    nothing = api(resolver).post(f"/incidents/{held.number}/acknowledge")
    send([Message(resolver.pk, "p", Event.PAGED, "Paged", subject_type="incident", subject_id=held.pk, page=True)])
    outsider = api(agent).post(f"/incidents/{held.number}/acknowledge")
    done = api(resolver).post(f"/incidents/{held.number}/acknowledge")

    assert nothing.status_code == 409
    assert outsider.status_code in {403, 404}
    assert (done.status_code, done.json()["assignee"]["username"]) == (200, resolver.username)


def test_the_inbox_is_ones_own(api: Callable[[User], ApiClient], held: Incident, resolver: User, agent: User) -> None:
    send([Message(resolver.pk, "p", Event.PAGED, "Paged", subject_type="incident", subject_id=held.pk, page=True)])
    mine = Notification.objects.get()

    listed = api(resolver).get("/notifications").json()
    others = api(agent).get("/notifications").json()
    stolen = api(agent).post("/notifications/read", {"ids": [mine.pk]})
    read = api(resolver).post("/notifications/read", {"ids": [mine.pk]}).json()
    again = api(resolver).post("/notifications/read", {}).json()

    assert ([item["title"] for item in listed["items"]], listed["unread"], listed["items"][0]["is_page"]) == (
        ["Paged"],
        1,
        True,
    )
    assert others["items"] == []
    assert stolen.status_code == 404
    assert (read, again) == ({"read": 1, "unread": 0}, {"read": 0, "unread": 0})


def test_the_channels_a_policy_names_are_the_incidents_channels() -> None:
    # escalation sits below incidents and keeps their channel names as data; they must agree.
    assert tuple(Channel.values) == CHANNELS
    assert set(typing.get_args(ChannelName)) == set(CHANNELS)
