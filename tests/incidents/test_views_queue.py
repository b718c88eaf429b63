"""The queue pages: named queues, filters, sort, search, paging, the capped count, htmx partials."""

import re

import pytest

from keel.accounts.actions import add_team_member, create_user
from keel.accounts.roles import Role
from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.lifecycle import transition_incident
from keel.incidents.actions.records import open_incident
from keel.incidents.states import IncidentState, Level
from tests.conftest import PASSWORD


def numbers_on(response):
    return re.findall(r'<td class="cell-number mono" data-label="Number">(INC\d+)</td>', response.content.decode())


@pytest.fixture
def mixed(agent, resolver, requester, service_desk, network_team):
    """Four incidents: unassigned P1, service desk's P3 held by the agent, network's P5, one cancelled."""
    critical = open_incident(actor=agent, caller=requester, title="ERP down", impact=Level.HIGH, urgency=Level.HIGH)
    mine = open_incident(
        actor=agent, caller=requester, title="Laptop slow", impact=Level.MEDIUM, urgency=Level.MEDIUM,
        assignment_group=service_desk, assignee=agent,
    )  # fmt: skip
    network = assign_incident(
        open_incident(actor=agent, caller=requester, title="Wi-Fi flaky"), actor=agent, group=network_team
    )
    cancelled = transition_incident(
        open_incident(actor=agent, caller=requester, title="Duplicate"), IncidentState.CANCELLED, actor=agent
    )
    return {"critical": critical, "mine": mine, "network": network, "cancelled": cancelled}


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("mine", {"mine"}),
        ("groups", {"mine"}),
        ("unassigned", {"critical", "network"}),
        ("open", {"critical", "mine", "network"}),
        ("all", {"critical", "mine", "network", "cancelled"}),
    ],
)
def test_named_queues(client, agent, mixed, queue, expected):
    client.force_login(agent)

    response = client.get("/incidents/", {"queue": queue})

    assert response.status_code == 200
    assert set(numbers_on(response)) == {mixed[name].number for name in expected}


def test_the_default_queue_for_staff_is_their_own_work(client, agent, mixed):
    client.force_login(agent)

    response = client.get("/incidents/")

    assert numbers_on(response) == [mixed["mine"].number]
    assert '<a href="?queue=mine" aria-current="page">My work</a>' in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"priority": "1"}, {"critical"}),
        ({"state": "assigned"}, {"mine", "network"}),
        ({"state": "cancelled"}, {"cancelled"}),
        ({"q": "laptop"}, {"mine"}),
        ({"q": "inc{critical}"}, {"critical"}),
    ],
)
def test_filters_and_search_narrow_the_queue(client, agent, mixed, params, expected):
    client.force_login(agent)
    query = {key: value.format(critical=mixed["critical"].pk) for key, value in params.items()}

    response = client.get("/incidents/", {"queue": "open", **query})

    assert set(numbers_on(response)) == {mixed[name].number for name in expected}


def test_group_filter(client, agent, mixed, network_team):
    client.force_login(agent)

    response = client.get("/incidents/", {"queue": "open", "group": network_team.pk})

    assert numbers_on(response) == [mixed["network"].number]


def test_group_filter_outside_my_groups_finds_nothing_there(client, agent, mixed, network_team):
    client.force_login(agent)

    response = client.get("/incidents/", {"queue": "groups", "group": network_team.pk})

    assert numbers_on(response) == []
    assert "No incidents here" in response.content.decode()


@pytest.mark.parametrize(
    ("order", "expected"),
    [("priority", ["critical", "mine", "network"]), ("-priority", ["network", "mine", "critical"])],
)
def test_sort(client, agent, mixed, order, expected):
    client.force_login(agent)

    response = client.get("/incidents/", {"queue": "open", "order": order})

    assert numbers_on(response) == [mixed[name].number for name in expected]


def test_bad_filters_answer_400_and_say_what_is_wrong(client, agent, mixed):
    client.force_login(agent)

    response = client.get("/incidents/", {"queue": "open", "priority": "9", "offset": "-3"})

    assert response.status_code == 400
    assert "These filters do not work" in response.content.decode()
    assert numbers_on(response) == []


def test_priority_is_a_badge_with_its_text(client, agent, mixed):
    client.force_login(agent)

    page = client.get("/incidents/", {"queue": "open"}).content.decode()

    assert '<span class="badge badge--p1">P1 Critical</span>' in page


def test_the_state_and_who_holds_it_are_shown(client, agent, mixed):
    client.force_login(agent)

    page = client.get("/incidents/", {"queue": "mine"}).content.decode()

    assert "Assigned</span>" in page
    assert "Service Desk <small>Alice</small>" in page


def test_paging_by_offset_and_limit(client, agent, requester):
    created = [open_incident(actor=agent, caller=requester, title=f"Issue {n}") for n in range(30)]
    client.force_login(agent)

    first = client.get("/incidents/", {"queue": "open", "limit": "25"})
    second = client.get("/incidents/", {"queue": "open", "limit": "25", "offset": "25"})

    assert numbers_on(first) == [incident.number for incident in reversed(created[5:])]
    assert numbers_on(second) == [incident.number for incident in reversed(created[:5])]
    assert "Showing 1–25 of 30 incidents" in first.content.decode()
    assert "offset=25" in first.content.decode()
    assert "Showing 26–30 of 30 incidents" in second.content.decode()


def test_a_capped_count_says_so(client, agent, requester, monkeypatch):
    monkeypatch.setattr("keel.incidents.rows.COUNT_CAP", 2)
    for n in range(4):
        open_incident(actor=agent, caller=requester, title=f"Issue {n}")
    client.force_login(agent)

    response = client.get("/incidents/", {"queue": "open", "offset": "1"})

    # counting stops COUNT_CAP past the page's start: 1 + 2
    assert "of 3+ incidents" in response.content.decode()


def test_htmx_gets_only_the_results(client, agent, mixed):
    client.force_login(agent)

    response = client.get("/incidents/", {"queue": "open"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert '<table class="queue">' in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client, agent, mixed):
    client.force_login(agent)

    response = client.get(
        "/incidents/", {"queue": "open"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.content.decode()


def test_the_list_does_not_query_per_row(client, agent, requester, service_desk, django_assert_max_num_queries):
    for n in range(40):
        caller = create_user(username=f"caller{n}", role=Role.REQUESTER, password=PASSWORD)
        assignee = create_user(username=f"agent{n}", role=Role.AGENT, password=PASSWORD)
        add_team_member(service_desk, assignee)
        open_incident(actor=agent, caller=caller, title=f"Issue {n}", assignment_group=service_desk, assignee=assignee)
    client.force_login(agent)

    # a constant handful (session, user, filter choices, rows, people, reference tables), never one per row
    with django_assert_max_num_queries(12):
        response = client.get("/incidents/", {"queue": "groups", "limit": "50"})

    assert len(numbers_on(response)) == 40
