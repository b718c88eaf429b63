"""Routing rules in the console: the page, adding and changing a rule through the form, the tester,
and who may do what."""

import pytest
from django.test import Client

from keel.accounts.models import Team, User
from keel.incidents.actions.reference import create_category
from keel.routing.actions import create_rule
from keel.routing.models import GroupAssignment, RoutingRule
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_an_incident_manager_adds_a_rule_through_the_form(incident_manager: User, network_team: Team) -> None:
    network = create_category(actor=None, name="Network")
    client = _client(incident_manager)

    answer = client.post(
        "/routing/new/",
        {
            "name": "Wi-Fi on site",
            "assignment_group": network_team.pk,
            "position": "10",
            "is_active": "on",
            "words": "wi-fi, wifi",
            "categories": [network.pk],
            "channels": ["phone", "email"],
            "priorities": ["1", "2"],
            "caller_vip": "true",
            "labels": "site=paris",
            "set_urgency": "1",
        },
    )
    page = client.get("/routing/").content.decode()

    rule = RoutingRule.objects.get()
    assert answer.status_code == 302
    assert (rule.words, rule.category_ids, rule.channels, rule.priorities) == (
        ["wi-fi", "wifi"],
        [network.pk],
        ["phone", "email"],
        [1, 2],
    )
    assert (rule.caller_vip, rule.labels, rule.set_urgency) == (True, {"site": "paris"}, 1)
    assert "Category: Network" in page
    assert "Words: wi-fi, wifi" in page


def test_a_form_with_a_mistake_says_what_to_fix_and_saves_nothing(incident_manager: User, network_team: Team) -> None:
    answer = _client(incident_manager).post(
        "/routing/new/", {"name": "Paris", "assignment_group": network_team.pk, "position": "1", "labels": "paris"}
    )

    assert answer.status_code == 400
    assert "Write each label as name=value" in answer.content.decode()
    assert not RoutingRule.objects.exists()


def test_editing_and_removing_a_rule(incident_manager: User, network_team: Team, service_desk: Team) -> None:
    rule = create_rule(
        actor=incident_manager, fields={"name": "Wi-Fi", "words": ["wi-fi"], "assignment_group": network_team}
    )
    client = _client(incident_manager)
    form = client.get(f"/routing/{rule.pk}/edit/")

    edited = client.post(
        f"/routing/{rule.pk}/edit/",
        {"name": "Wi-Fi", "assignment_group": service_desk.pk, "position": "100", "is_active": "on", "words": "wi-fi"},
    )
    rule.refresh_from_db()
    removed = client.post(f"/routing/{rule.pk}/delete/")

    assert form.status_code == 200
    assert 'value="wi-fi"' in form.content.decode()
    assert (edited.status_code, rule.assignment_group) == (302, service_desk)
    assert removed.status_code == 302
    assert not RoutingRule.objects.exists()


def test_the_tester_answers_in_place(agent: User, incident_manager: User, network_team: Team) -> None:
    create_rule(
        actor=incident_manager, fields={"name": "Printers", "words": ["printer"], "assignment_group": network_team}
    )
    create_rule(
        actor=incident_manager, fields={"name": "Phones", "channels": ["phone"], "assignment_group": network_team}
    )

    answer = _client(agent).post(
        "/routing/test/", {"title": "Wi-Fi drops", "channel": "phone", "urgency": "3"}, headers={"HX-Request": "true"}
    )

    page = answer.content.decode()
    assert answer.status_code == 200
    assert "Rule “Phones”</strong> routes it to <strong>Network</strong>" in page
    assert "“Printers”: no match on words" in page
    assert "<html" not in page


def test_staff_see_the_rules_but_only_managers_change_them(
    agent: User, resolver: User, incident_manager: User, network_team: Team
) -> None:
    rule = create_rule(actor=incident_manager, fields={"name": "Wi-Fi", "assignment_group": network_team})

    for person in (agent, resolver):
        client = _client(person)
        page = client.get("/routing/")
        assert page.status_code == 200
        assert "Add a rule" not in page.content.decode()
        assert client.get("/routing/new/").status_code == 403
        assert client.post(f"/routing/{rule.pk}/edit/", {"name": "Mine"}).status_code == 403
        assert client.post(f"/routing/{rule.pk}/delete/").status_code == 403
    assert RoutingRule.objects.get().name == "Wi-Fi"


def test_a_requester_sees_no_routing(requester: User) -> None:
    client = _client(requester)

    assert client.get("/routing/").status_code == 403
    assert client.post("/routing/test/", {"title": "Wi-Fi drops"}).status_code == 403
    assert "/routing/" not in client.get("/incidents/").content.decode()


def test_a_manager_sets_how_a_group_hands_out_incidents(
    incident_manager: User, agent: User, network_team: Team
) -> None:
    client = _client(incident_manager)

    chosen = client.post(f"/routing/groups/{network_team.pk}/", {"strategy": "round_robin"})
    changed = client.post(f"/routing/groups/{network_team.pk}/", {"strategy": "least_loaded"})
    strategy = GroupAssignment.objects.get(team=network_team).strategy
    nonsense = client.post(f"/routing/groups/{network_team.pk}/", {"strategy": "lottery"})
    manual = client.post(f"/routing/groups/{network_team.pk}/", {"strategy": "manual"})
    refused = _client(agent).post(f"/routing/groups/{network_team.pk}/", {"strategy": "round_robin"})

    assert [answer.status_code for answer in (chosen, changed, nonsense, manual)] == [302, 302, 302, 302]
    assert strategy == "least_loaded"
    assert refused.status_code == 403
    assert not GroupAssignment.objects.exists()
