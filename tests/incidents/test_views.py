"""The console's doors: who may open which page or press which button, through the real URLs.

Forbidden cases answer with the status the action's error carries (403, 404, 409…) and change nothing.
"""

import re

import pytest
from django.test import Client

from keel.activity.models import TimelineEntry
from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.conversation import add_comment
from keel.incidents.actions.lifecycle import resolve_incident, transition_incident
from keel.incidents.models import Incident
from keel.incidents.queries.records import allowed_transitions
from keel.incidents.states import IncidentState, ResolutionCode
from tests.conftest import PASSWORD
from tests.incidents.helpers import REACH


def rendered_steps(response):
    """The transition targets the page offers as buttons."""
    return set(re.findall(r'data-step="([a-z_]+)"', response.content.decode()))


def _state(incident):
    return Incident.objects.get(pk=incident.pk).state


# --- signed out ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/incidents/", "/incidents/new/", "/incidents/{n}/", "/incidents/{n}/edit/"])
def test_anonymous_pages_send_to_sign_in(client, incident, path):
    response = client.get(path.format(n=incident.number))

    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/?next=/incidents/")


@pytest.mark.parametrize("action", ["transition", "assign", "comment", "attach", "edit"])
def test_anonymous_writes_send_to_sign_in_and_change_nothing(client, incident, action):
    response = client.post(f"/incidents/{incident.number}/{action}/", {"to": "cancelled", "body": "hi"})

    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")
    assert _state(incident) == IncidentState.NEW


def test_sign_in_page_labels_its_inputs_and_signs_in(client, agent):
    page = client.get("/sign-in/").content.decode()
    response = client.post(
        "/sign-in/?next=/incidents/", {"username": "alice", "password": PASSWORD, "next": "/incidents/"}
    )

    assert '<label for="id_username">' in page
    assert '<label for="id_password">' in page
    assert response["Location"] == "/incidents/"


def test_sign_out_button_posts(client, agent):
    client.force_login(agent)

    page = client.get("/incidents/").content.decode()

    assert re.search(r'<form method="post" action="/sign-out/">', page)


# --- a requester sees only their own, and only the public side ------------------------------


def test_requester_gets_404_for_someone_elses_incident(client, other_requester, incident):
    client.force_login(other_requester)

    assert client.get(f"/incidents/{incident.number}/").status_code == 404
    assert client.post(f"/incidents/{incident.number}/comment/", {"body": "mine?"}).status_code == 404
    assert client.post(f"/incidents/{incident.number}/transition/", {"to": "cancelled"}).status_code == 404
    assert TimelineEntry.objects.filter(body="mine?").count() == 0


def test_requester_list_shows_only_their_own(client, requester, other_requester, agent, incident):
    client.force_login(other_requester)

    page = client.get("/incidents/").content.decode()

    assert incident.number not in page
    assert "Your incidents" in page


def test_requester_does_not_see_work_notes(client, requester, agent, incident):
    add_comment(incident, actor=agent, body="Caller is grumpy, be gentle", public=False)
    add_comment(incident, actor=agent, body="We are on it", public=True)
    client.force_login(requester)

    page = client.get(f"/incidents/{incident.number}/").content.decode()

    assert "We are on it" in page
    assert "Caller is grumpy" not in page
    assert 'name="public"' not in page


def test_staff_see_work_notes_marked_as_internal(client, agent, incident):
    add_comment(incident, actor=agent, body="Caller is grumpy, be gentle", public=False)
    client.force_login(agent)

    page = client.get(f"/incidents/{incident.number}/").content.decode()

    assert "Caller is grumpy" in page
    assert "Work note · staff only" in page


def test_requester_cannot_write_a_work_note(client, requester, incident):
    client.force_login(requester)

    client.post(f"/incidents/{incident.number}/comment/", {"body": "Is there news?", "public": ""})

    assert TimelineEntry.objects.get(body="Is there news?").is_public is True


@pytest.mark.parametrize("target", ["assigned", "in_progress", "resolved", "cancelled"])
def test_requester_cannot_move_an_open_incident(client, requester, incident, target):
    client.force_login(requester)

    response = client.post(
        f"/incidents/{incident.number}/transition/", {"to": target, "resolution_code": "user_error", "note": "x"}
    )

    assert response.status_code == 403
    assert _state(incident) == IncidentState.NEW


def test_requester_sees_no_steps_on_an_open_incident(client, requester, incident):
    client.force_login(requester)

    response = client.get(f"/incidents/{incident.number}/")

    assert rendered_steps(response) == set()
    assert "/edit/" not in response.content.decode()


def test_requester_may_confirm_or_reopen_their_resolved_incident(client, requester, agent, incident):
    resolve_incident(incident, actor=agent, code=ResolutionCode.SOLVED_REMOTELY)
    client.force_login(requester)

    response = client.get(f"/incidents/{incident.number}/")

    assert rendered_steps(response) == {"closed", "in_progress"}
    assert "Confirm and close" in response.content.decode()
    assert "Reopen" in response.content.decode()


# --- staff outside the assignment group -------------------------------------------------------


@pytest.fixture
def network_incident(incident, agent, network_team):
    return assign_incident(incident, actor=agent, group=network_team)


def test_resolver_outside_the_group_gets_403_on_transition(client, outsider_resolver, network_incident):
    client.force_login(outsider_resolver)

    response = client.post(f"/incidents/{network_incident.number}/transition/", {"to": "in_progress"})

    assert response.status_code == 403
    assert "Only its assignment group" in response.content.decode()
    assert _state(network_incident) == IncidentState.ASSIGNED


def test_resolver_outside_the_group_gets_403_on_edit(client, outsider_resolver, network_incident):
    client.force_login(outsider_resolver)
    version = network_incident.version

    page = client.get(f"/incidents/{network_incident.number}/edit/")
    response = client.post(
        f"/incidents/{network_incident.number}/edit/",
        {"title": "Hijacked", "caller": "rita", "channel": "phone", "impact": 3, "urgency": 3, "version": version},
    )

    assert page.status_code == 403
    assert response.status_code == 403
    assert Incident.objects.get(pk=network_incident.pk).title == "Outlook cannot connect"


def test_resolver_outside_the_group_gets_403_on_assign(client, outsider_resolver, network_incident, service_desk):
    client.force_login(outsider_resolver)

    response = client.post(f"/incidents/{network_incident.number}/assign/", {"group": service_desk.pk})

    assert response.status_code == 403
    assert Incident.objects.get(pk=network_incident.pk).assignment_group_id == network_incident.assignment_group_id


def test_resolver_outside_the_group_sees_no_steps_and_no_edit(client, outsider_resolver, network_incident):
    client.force_login(outsider_resolver)

    response = client.get(f"/incidents/{network_incident.number}/")

    assert response.status_code == 200
    assert rendered_steps(response) == set()
    assert 'data-shortcut="edit"' not in response.content.decode()


def test_resolver_inside_the_group_may_work_it(client, resolver, network_incident):
    client.force_login(resolver)

    response = client.get(f"/incidents/{network_incident.number}/")

    assert rendered_steps(response) == {"in_progress", "on_hold", "resolved", "cancelled"}
    assert "Reassign…" in response.content.decode()
    assert 'data-shortcut="edit"' in response.content.decode()


# --- only the allowed transitions, in every state ---------------------------------------------


@pytest.mark.parametrize("state", list(IncidentState))
def test_detail_offers_exactly_the_allowed_transitions(client, agent, requester, service_desk, state):
    incident = REACH[state](agent, requester, service_desk)
    client.force_login(agent)

    response = client.get(f"/incidents/{incident.number}/")

    assert rendered_steps(response) == {target.value for target in allowed_transitions(agent, incident)}


def test_a_new_incident_is_assigned_through_the_assignment_form(client, agent, incident):
    client.force_login(agent)

    page = client.get(f"/incidents/{incident.number}/").content.decode()

    assert re.search(r'<details class="action-panel" data-step="assigned">\s*<summary>Assign…</summary>', page)
    assert f'action="/incidents/{incident.number}/assign/"' in page


def test_work_in_progress_can_go_back_to_the_queue(client, agent, requester, service_desk):
    incident = REACH[IncidentState.IN_PROGRESS](agent, requester, service_desk)
    client.force_login(agent)

    page = client.get(f"/incidents/{incident.number}/").content.decode()
    client.post(f"/incidents/{incident.number}/transition/", {"to": "assigned"})

    assert "Back to the group&#x27;s queue" in page
    assert "Reassign…" in page
    assert (_state(incident), Incident.objects.get(pk=incident.pk).assignee) == (IncidentState.ASSIGNED, None)


def test_a_step_not_in_the_lifecycle_gives_409(client, agent, incident):
    client.force_login(agent)

    response = client.post(
        f"/incidents/{incident.number}/transition/", {"to": "on_hold", "hold_reason": "awaiting_caller"}
    )

    assert response.status_code == 409
    assert "cannot move to on_hold" in response.content.decode()
    assert _state(incident) == IncidentState.NEW


def test_an_unknown_step_gives_400(client, agent, incident):
    client.force_login(agent)

    response = client.post(f"/incidents/{incident.number}/transition/", {"to": "exploded"})

    assert response.status_code == 400
    assert _state(incident) == IncidentState.NEW


@pytest.mark.parametrize("action", ["transition", "assign", "comment", "attach"])
def test_writes_are_post_only(client, agent, incident, action):
    client.force_login(agent)

    assert client.get(f"/incidents/{incident.number}/{action}/").status_code == 405


def test_writes_need_the_csrf_token(agent, incident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post(f"/incidents/{incident.number}/transition/", {"to": "cancelled"})

    assert response.status_code == 403
    assert _state(incident) == IncidentState.NEW


def test_final_incident_cannot_be_edited(client, agent, incident):
    transition_incident(incident, IncidentState.CANCELLED, actor=agent)
    client.force_login(agent)

    response = client.get(f"/incidents/{incident.number}/edit/")

    assert response.status_code == 403
    assert "can no longer be edited" in response.content.decode()


def test_times_are_shown_in_the_viewers_zone_with_its_name(client, agent, incident):
    agent.time_zone = "Asia/Tokyo"
    agent.save(update_fields=["time_zone"])
    client.force_login(agent)

    page = client.get(f"/incidents/{incident.number}/").content.decode()

    assert 'title="Asia/Tokyo"' in page
    assert " JST</time>" in page
    assert "Times are shown in <strong>Asia/Tokyo</strong>" in page
