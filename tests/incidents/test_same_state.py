"""A step to the state an incident is already in applies nothing and says so (409), after the same
permission check as any other step (issue 23 §2): no resolution note is dropped silently."""

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.test import Client

from keel.accounts.models import Team, User
from keel.incidents.models import Incident
from keel.incidents.states import IncidentState
from tests.conftest import ApiClient
from tests.incidents.helpers import open_closed, open_in_progress, open_resolved
from tests.threads import at_once

Api = Callable[[User], ApiClient]
RESOLVE = {"to": "resolved", "resolution_code": "solved_remotely", "resolution_notes": "Restarted the pool"}


def test_resolving_a_resolved_incident_is_409_and_keeps_its_notes(
    api: Api, agent: User, requester: User, service_desk: Team
) -> None:
    incident = open_resolved(agent, requester, service_desk)
    before = Incident.objects.get(pk=incident.pk)

    answer = api(agent).post(f"/incidents/{incident.number}/transitions", RESOLVE)

    assert (answer.status_code, answer.json()["field"]) == (409, "to")
    assert "already resolved; nothing was applied" in answer.json()["message"]
    after = Incident.objects.get(pk=incident.pk)
    assert (after.version, after.resolution_notes) == (before.version, before.resolution_notes)


def test_closing_a_closed_incident_is_409(api: Api, agent: User, requester: User, service_desk: Team) -> None:
    incident = open_closed(agent, requester, service_desk)

    answer = api(requester).post(f"/incidents/{incident.number}/transitions", {"to": "closed"})

    assert answer.status_code == 409


def test_someone_who_may_not_act_is_refused_whatever_the_state(
    api: Api, agent: User, requester: User, service_desk: Team, *, other_requester: User, outsider_resolver: User
) -> None:
    incident = open_resolved(agent, requester, service_desk)
    path = f"/incidents/{incident.number}/transitions"

    not_theirs = api(other_requester).post(path, {"to": "closed"})
    not_the_caller = api(agent).post(path, {"to": "closed"})
    not_their_group = api(outsider_resolver).post(path, RESOLVE)

    assert [not_theirs.status_code, not_the_caller.status_code, not_their_group.status_code] == [404, 403, 403]


def test_the_console_says_nothing_was_applied(client: Client, agent: User, requester: User, service_desk: Team) -> None:
    incident = open_in_progress(agent, requester, service_desk)
    client.force_login(agent)

    answer = client.post(f"/incidents/{incident.number}/transition/", {"to": "in_progress"})

    assert answer.status_code == 409
    assert "already in progress; nothing was applied" in answer.content.decode()


@pytest.mark.django_db(transaction=True)
def test_of_twenty_concurrent_resolves_exactly_one_is_applied(
    api: Api, agent: User, requester: User, service_desk: Team
) -> None:
    incident = open_in_progress(agent, requester, service_desk)
    clients = [api(agent) for _ in range(20)]

    def resolve(client: ApiClient, number: int) -> int:
        answer: Any = client.post(f"/incidents/{incident.number}/transitions", {**RESOLVE, "note": f"fix {number}"})
        return int(answer.status_code)

    statuses = at_once(*(partial(resolve, client, number) for number, client in enumerate(clients)))

    assert sorted(statuses) == [200] + [409] * 19
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.state == IncidentState.RESOLVED
