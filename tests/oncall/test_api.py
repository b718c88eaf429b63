"""On-call over the API: incident managers build a schedule, its layers and overrides; IT staff
ask who is on call for a team at a moment; requesters and agents cannot change any of it."""

from collections.abc import Callable

import pytest

from keel.accounts.models import Team, User
from keel.oncall.models import Layer, Override, Schedule
from tests.conftest import ApiClient

Api = Callable[[User], ApiClient]
pytestmark = pytest.mark.django_db


def _build(client: ApiClient, resolver: User, agent: User) -> tuple[str, str]:
    schedule = client.post(
        "/oncall/schedules", {"team": "network", "name": "Network primary", "time_zone": "Europe/Berlin"}
    )
    layer = client.post(
        "/oncall/layers",
        {
            "schedule": "Network primary",
            "name": "Daily",
            "rotation": "daily",
            "handoff_time": "09:00",
            "start_date": "2026-03-27",
            "members": [resolver.username, agent.username],
        },
    )
    assert (schedule.status_code, layer.status_code) == (201, 201), (schedule.content, layer.content)
    return schedule.headers["Location"].removeprefix("/api/v1"), layer.headers["Location"].removeprefix("/api/v1")


def test_who_is_on_call_follows_the_rotation_across_spring_forward_and_an_override(
    api: Api, incident_manager: User, resolver: User, agent: User, network_team: Team
) -> None:
    client = api(incident_manager)
    _build(client, resolver, agent)
    covered = client.post(
        "/oncall/overrides",
        {
            "schedule": "Network primary",
            "person": incident_manager.username,
            "starts_at": "2026-03-30T07:00:00Z",
            "ends_at": "2026-03-30T19:00:00Z",
            "note": "Covering for the resolver",
        },
    )

    before = client.get("/oncall?team=network&at=2026-03-28T12:00:00Z").json()["tiers"][0]
    across = client.get("/oncall?team=network&at=2026-03-29T06:30:00Z").json()["tiers"][0]
    override = client.get("/oncall?team=network&at=2026-03-30T08:00:00Z").json()["tiers"][0]

    assert covered.status_code == 201
    assert (before["person"]["username"], before["starts_at"], before["ends_at"]) == (
        agent.username,
        "2026-03-28T08:00:00.000000Z",
        "2026-03-29T07:00:00.000000Z",  # 09:00 CEST: a 23-hour shift
    )
    assert (before["source"], before["layer"]) == ("layer", "Daily")
    assert across["person"]["username"] == agent.username
    assert (override["person"]["username"], override["source"], override["layer"]) == (
        incident_manager.username,
        "override",
        None,
    )


def test_tiers_answer_primary_first_and_nobody_as_null(
    api: Api, incident_manager: User, resolver: User, agent: User, network_team: Team
) -> None:
    client = api(incident_manager)
    _build(client, resolver, agent)
    client.post("/oncall/schedules", {"team": "network", "name": "Network secondary", "time_zone": "UTC", "tier": 2})

    answer = client.get("/oncall?team=network&at=2026-04-01T12:00:00Z").json()

    assert [(tier["tier"], tier["schedule"]["name"]) for tier in answer["tiers"]] == [
        (1, "Network primary"),
        (2, "Network secondary"),
    ]
    assert answer["tiers"][1]["person"] is None


def test_a_manager_changes_and_removes_a_layer_and_a_schedule(
    api: Api, incident_manager: User, resolver: User, agent: User, network_team: Team
) -> None:
    client = api(incident_manager)
    schedule, layer = _build(client, resolver, agent)

    changed = client.patch(
        layer,
        {
            "rotation": "weekly",
            "handoff_weekday": "mon",
            "restrictions": [{"weekday": "mon", "opens": "09:00", "closes": "17:00"}],
        },
        headers={"If-Match": '"1"'},
    )
    removed = client.delete(schedule)

    assert changed.status_code == 200, changed.content
    assert (changed.json()["shift_days"], changed.json()["handoff_weekday"]) == (7, "mon")
    assert changed.json()["restrictions"][0]["opens"] == "09:00"
    assert removed.status_code == 204
    assert not Schedule.objects.exists() and not Layer.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"team": "network", "name": "x", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"team": "nobody", "name": "x", "time_zone": "UTC"}, "team"),
        ({"team": "network", "name": "x", "time_zone": "UTC", "tier": 0}, "tier"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_field(
    api: Api, incident_manager: User, network_team: Team, body: dict[str, object], field: str
) -> None:
    answer = api(incident_manager).post("/oncall/schedules", body)

    assert answer.status_code in (400, 422)
    assert answer.json()["field"] == field


@pytest.fixture
def crew(incident_manager: User, resolver: User, agent: User, requester: User, network_team: Team) -> dict[str, User]:
    """Everyone the forbidden cases need, by role, with the network team."""
    return {"manager": incident_manager, "resolver": resolver, "agent": agent, "requester": requester}


def test_a_requester_cannot_be_on_call_and_a_second_primary_is_a_conflict(api: Api, crew: dict[str, User]) -> None:
    client = api(crew["manager"])
    requester = crew["requester"]
    _build(client, crew["resolver"], crew["agent"])

    member = client.post(
        "/oncall/layers",
        {
            "schedule": "Network primary",
            "name": "Bad",
            "handoff_time": "09:00",
            "start_date": "2026-03-02",
            "members": [requester.username],
        },
    )
    second = client.post("/oncall/schedules", {"team": "network", "name": "Another", "time_zone": "UTC"})

    assert (member.status_code, member.json()["field"]) == (400, "members")
    assert (second.status_code, second.json()["field"]) == (409, "tier")


@pytest.mark.parametrize("role", ["requester", "agent"])
def test_requesters_and_agents_cannot_create_change_or_delete_schedules_layers_or_overrides(
    api: Api, crew: dict[str, User], role: str
) -> None:
    agent = crew["agent"]
    schedule, layer = _build(api(crew["manager"]), crew["resolver"], agent)
    client = api(crew[role])
    override = {"schedule": "Network primary", "person": agent.username}
    times = {"starts_at": "2026-03-30T07:00:00Z", "ends_at": "2026-03-30T19:00:00Z"}

    answers = [
        client.post("/oncall/schedules", {"team": "network", "name": "Mine", "time_zone": "UTC", "tier": 3}),
        client.patch(schedule, {"description": "Mine now"}),
        client.delete(schedule),
        client.post(
            "/oncall/layers",
            {"schedule": "Network primary", "name": "L", "handoff_time": "09:00", "start_date": "2026-03-02"},
        ),
        client.patch(layer, {"position": 9}),
        client.delete(layer),
        client.post("/oncall/overrides", {**override, **times}),
    ]

    assert [answer.status_code for answer in answers] == [403] * 7
    assert (Schedule.objects.count(), Layer.objects.count(), Override.objects.count()) == (1, 1, 0)


def test_a_requester_sees_no_schedules_and_no_one_on_call(api: Api, requester: User, network_team: Team) -> None:
    client = api(requester)

    assert client.get("/oncall/schedules").status_code == 403
    assert client.get("/oncall?team=network").status_code == 403
