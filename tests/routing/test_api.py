"""Routing over the API: rules read by IT staff and changed by incident managers, and the rule
tester answering where a sample incident would go and why."""

from collections.abc import Callable

import pytest

from keel.accounts.models import Team, User
from keel.incidents.actions.reference import create_category
from keel.routing.models import RoutingRule
from tests.conftest import ApiClient

Api = Callable[[User], ApiClient]
pytestmark = pytest.mark.django_db


def test_an_incident_manager_adds_reads_changes_and_removes_a_rule(
    api: Api, incident_manager: User, network_team: Team
) -> None:
    client = api(incident_manager)

    added = client.post(
        "/routing/rules",
        {"name": "Wi-Fi on site", "words": ["wi-fi"], "set_urgency": "high", "assignment_group": "network"},
    )
    path = added.headers["Location"].removeprefix("/api/v1")
    changed = client.patch(
        path, {"channels": ["phone"], "set_urgency": None}, headers={"If-Match": added.headers["ETag"]}
    )
    read = client.get(path)
    removed = client.delete(path)

    assert added.status_code == 201
    assert added.json()["assignment_group"] == {"id": network_team.pk, "slug": "network", "name": "Network"}
    assert added.json()["set_urgency"] == "high"
    assert changed.status_code == 200
    assert (read.json()["channels"], read.json()["set_urgency"], read.headers["ETag"]) == (["phone"], None, '"2"')
    assert removed.status_code == 204
    assert not RoutingRule.objects.exists()


def test_rules_are_listed_in_the_order_they_are_tried(api: Api, incident_manager: User, network_team: Team) -> None:
    client = api(incident_manager)
    client.post("/routing/rules", {"name": "Last", "position": 200, "assignment_group": "network"})
    client.post("/routing/rules", {"name": "First", "position": 10, "assignment_group": "network"})

    listed = client.get("/routing/rules").json()

    assert [rule["name"] for rule in listed] == ["First", "Last"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "assignment_group": "nobody"}, "assignment_group"),
        ({"name": "x", "assignment_group": "network", "channels": ["fax"]}, "channels.0"),
        ({"name": "x", "assignment_group": "network", "ci_ids": [424242]}, "ci_ids"),
        ({"name": "x", "assignment_group": "network", "set_impact": "urgent"}, "set_impact"),
        ({"name": "x"}, "assignment_group"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field(
    api: Api, incident_manager: User, network_team: Team, body: dict[str, object], field: str
) -> None:
    answer = api(incident_manager).post("/routing/rules", body)

    assert (answer.status_code, answer.json()["field"]) == (400, field)
    assert not RoutingRule.objects.exists()


@pytest.mark.parametrize("who", ["agent", "resolver"])
def test_staff_read_rules_but_only_managers_change_them(
    api: Api, request: pytest.FixtureRequest, who: str, incident_manager: User, network_team: Team
) -> None:
    rule = api(incident_manager).post("/routing/rules", {"name": "Wi-Fi", "assignment_group": "network"}).json()
    client = api(request.getfixturevalue(who))

    assert client.get(f"/routing/rules/{rule['id']}").status_code == 200
    assert client.post("/routing/rules", {"name": "Mine", "assignment_group": "network"}).status_code == 403
    assert client.patch(f"/routing/rules/{rule['id']}", {"position": 1}).status_code == 403
    assert client.delete(f"/routing/rules/{rule['id']}").status_code == 403


def test_a_requester_sees_no_rules_and_cannot_try_them(api: Api, requester: User) -> None:
    client = api(requester)

    assert client.get("/routing/rules").status_code == 403
    assert client.post("/routing/test", {"title": "Wi-Fi drops"}).status_code == 403


def test_the_tester_says_which_rule_matches_and_why_the_others_did_not(
    api: Api, agent: User, incident_manager: User, network_team: Team, service_desk: Team
) -> None:
    manager = api(incident_manager)
    network = create_category(actor=None, name="Network")
    manager.post("/routing/rules", {"name": "Printers", "words": ["printer"], "assignment_group": "service-desk"})
    manager.post(
        "/routing/rules",
        {"name": "Network on site", "category_ids": [network.pk], "set_urgency": "high", "assignment_group": "network"},
    )

    answer = api(agent).post("/routing/test", {"title": "Wi-Fi drops", "category": "Network", "impact": "medium"})

    assert answer.status_code == 200
    assert answer.json() == {
        "rule": {"id": RoutingRule.objects.get(name="Network on site").pk, "name": "Network on site"},
        "assignment_group": {"id": network_team.pk, "slug": "network", "name": "Network"},
        "impact": "medium",
        "urgency": "high",
        "priority": 2,
        "not_matched": [
            {
                "rule": {"id": RoutingRule.objects.get(name="Printers").pk, "name": "Printers"},
                "reason": "no match on words",
            }
        ],
    }


def test_the_tester_writes_nothing_and_says_when_no_rule_matches(api: Api, agent: User) -> None:
    answer = api(agent).post("/routing/test", {"title": "Wi-Fi drops", "source_id": 7, "labels": {"site": "paris"}})

    assert (answer.status_code, answer.json()["rule"], answer.json()["assignment_group"]) == (200, None, None)


def test_a_group_gets_a_strategy_changes_it_and_goes_back_to_its_queue(
    api: Api, incident_manager: User, agent: User, network_team: Team
) -> None:
    manager = api(incident_manager)

    added = manager.post("/routing/groups", {"team": "network"})
    twice = manager.post("/routing/groups", {"team": "network"})
    changed = manager.patch("/routing/groups/network", {"strategy": "least_loaded"})
    forbidden = api(agent).patch("/routing/groups/network", {"strategy": "round_robin"})
    listed = api(agent).get("/routing/groups").json()
    removed = manager.delete("/routing/groups/network")

    assert (added.status_code, added.json()["strategy"], added.headers["Location"]) == (
        201,
        "round_robin",
        f"/api/v1/routing/groups/{network_team.pk}",
    )
    assert (twice.status_code, twice.json()["field"]) == (409, "team")
    assert (changed.status_code, changed.json()["strategy"]) == (200, "least_loaded")
    assert forbidden.status_code == 403
    assert [row["team"]["slug"] for row in listed] == ["network"]
    assert removed.status_code == 204
    assert manager.get("/routing/groups/network").status_code == 404
