"""On-call in the console: the page with who is on call now and at a moment, a schedule's page,
the forms for managers, the forbidden cases, and each person's calendar feed."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from keel.accounts.models import Team, User
from keel.lib import clock
from keel.oncall.actions import create_layer, create_override, create_schedule
from keel.oncall.feed import feed_token
from keel.oncall.models import Layer, Override, Schedule
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _schedule(team: Team, *members: User) -> Schedule:
    schedule = create_schedule(
        actor=None, fields={"team": team, "name": "Network primary", "time_zone": "Europe/Berlin"}
    )
    start = (clock.now() - timedelta(days=3)).date()
    create_layer(
        actor=None,
        fields={
            "schedule": schedule,
            "name": "Daily",
            "rotation": "daily",
            "handoff_time": "09:00",
            "start_date": start,
            "members": [m.pk for m in members],
        },
    )
    return schedule


def test_staff_see_who_is_on_call_now_and_a_schedule_s_next_fortnight(
    agent: User, resolver: User, network_team: Team
) -> None:
    schedule = _schedule(network_team, resolver)
    client = _client(agent)

    listing = client.get("/oncall/")
    page = client.get(f"/oncall/{schedule.pk}/")
    asked = client.get("/oncall/", {"team": "network", "at": "2031-03-29T10:00"})

    assert listing.status_code == 200
    assert b"Network primary" in listing.content and resolver.get_full_name().encode() in listing.content
    assert page.status_code == 200 and b"The next 14 days" in page.content
    assert asked.status_code == 200 and b"oncall-answer" in asked.content
    assert b"Add a layer" not in page.content  # an agent only reads


def test_an_incident_manager_adds_a_schedule_a_layer_and_an_override_through_the_forms(
    incident_manager: User, resolver: User, network_team: Team
) -> None:
    client = _client(incident_manager)

    added = client.post(
        "/oncall/new/", {"name": "Network primary", "team": network_team.pk, "time_zone": "Europe/Berlin", "tier": "1"}
    )
    schedule = Schedule.objects.get()
    layer = client.post(
        f"/oncall/{schedule.pk}/layers/new/",
        {
            "name": "Office hours",
            "position": "2",
            "rotation": "daily",
            "handoff_time": "09:00",
            "start_date": "2026-03-02",
            "members": resolver.username,
            "restrictions": "mon-fri 09:00-17:00",
        },
    )
    override = client.post(
        f"/oncall/{schedule.pk}/overrides/new/",
        {
            "person": incident_manager.username,
            "starts_at": "2031-03-07T09:00",
            "ends_at": "2031-03-08T09:00",
            "note": "Bob's Saturday",
        },
    )

    assert (added.status_code, layer.status_code, override.status_code) == (302, 302, 302)
    stored = Layer.objects.get()
    assert (stored.members, len(stored.restrictions)) == ([resolver.pk], 5)
    assert Override.objects.get().note == "Bob's Saturday"


def test_a_form_error_names_the_field(incident_manager: User, network_team: Team) -> None:
    answer = _client(incident_manager).post(
        "/oncall/new/", {"name": "Network primary", "team": network_team.pk, "time_zone": "Mars/Olympus", "tier": "1"}
    )

    assert answer.status_code == 400
    assert b"Unknown time zone" in answer.content


@pytest.mark.parametrize("role", ["requester", "agent"])
def test_requesters_and_agents_cannot_edit_schedules_layers_or_overrides(
    requester: User, agent: User, resolver: User, network_team: Team, role: str
) -> None:
    schedule = _schedule(network_team, resolver)
    layer = Layer.objects.get()
    start = clock.now() + timedelta(days=1)
    override = create_override(
        actor=None,
        fields={"schedule": schedule, "person": resolver, "starts_at": start, "ends_at": start + timedelta(hours=4)},
    )
    client = _client(requester if role == "requester" else agent)

    answers = [
        client.post("/oncall/new/", {"name": "Mine", "team": network_team.pk, "time_zone": "UTC", "tier": "2"}),
        client.post(
            f"/oncall/{schedule.pk}/edit/", {"name": "Mine", "team": network_team.pk, "time_zone": "UTC", "tier": "1"}
        ),
        client.post(f"/oncall/{schedule.pk}/delete/"),
        client.post(
            f"/oncall/{schedule.pk}/layers/new/",
            {"name": "L", "rotation": "daily", "handoff_time": "09:00", "start_date": "2026-03-02"},
        ),
        client.post(
            f"/oncall/layers/{layer.pk}/edit/",
            {"name": "L", "rotation": "daily", "handoff_time": "10:00", "start_date": "2026-03-02"},
        ),
        client.post(f"/oncall/layers/{layer.pk}/delete/"),
        client.post(
            f"/oncall/{schedule.pk}/overrides/new/",
            {"person": agent.username, "starts_at": "2031-03-07T09:00", "ends_at": "2031-03-08T09:00"},
        ),
        client.post(
            f"/oncall/overrides/{override.pk}/edit/",
            {"person": agent.username, "starts_at": "2031-03-07T09:00", "ends_at": "2031-03-08T09:00"},
        ),
        client.post(f"/oncall/overrides/{override.pk}/delete/"),
    ]

    assert [answer.status_code for answer in answers] == [403] * 9
    assert (Schedule.objects.count(), Layer.objects.get().handoff_time.hour, Override.objects.count()) == (1, 9, 1)


def test_a_requester_does_not_see_the_on_call_page(requester: User) -> None:
    assert _client(requester).get("/oncall/").status_code == 403


def test_the_feed_is_icalendar_of_the_person_s_shifts_and_refuses_a_wrong_token(
    resolver: User, agent: User, network_team: Team
) -> None:
    _schedule(network_team, resolver, agent)
    anonymous = Client()

    feed = anonymous.get(f"/oncall/people/{resolver.username}.ics", {"token": feed_token(resolver.username)})
    wrong = anonymous.get(f"/oncall/people/{resolver.username}.ics", {"token": feed_token(agent.username)})
    none = anonymous.get(f"/oncall/people/{resolver.username}.ics")

    body = feed.content
    lines = body.split(b"\r\n")
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    assert body.endswith(b"END:VCALENDAR\r\n") and b"\n" not in body.replace(b"\r\n", b"")
    assert lines[0] == b"BEGIN:VCALENDAR" and all(len(line) <= 75 for line in lines)
    events = body.count(b"BEGIN:VEVENT")
    assert events >= 29  # every other day for 60 days
    assert len(re.findall(rb"\r\nDTSTART:\d{8}T\d{6}Z\r\n", body)) == events
    assert len(re.findall(rb"\r\nUID:[^\r]+\r\n", body)) == events
    assert (wrong.status_code, none.status_code) == (404, 404)
