"""Maintenance windows and change events in the console: staff read; incident managers and admins
plan a window (matchers typed one per line, a CI, a service) and end one; others are refused."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keel.accounts.models import User
from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.sources import IssuedSecret
from keel.integrations.actions.windows import create_maintenance_window
from keel.integrations.models import MaintenanceWindow
from keel.lib.clock import frozen_at
from tests.conftest import Graph
from tests.integrations.conftest import Sender, captured, signed_in

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


def window_form(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Database upgrade",
        "starts_at": "2026-11-27T15:00",
        "ends_at": "2026-11-27T17:30",
        "matchers": 'env=prod\r\ninstance =~ db.*\r\n\r\nteam!="web"',
        "ci": "",
        "service": "",
        "reason": "",
        **fields,
    }


def plan(name: str, starts: timedelta, ends: timedelta) -> MaintenanceWindow:
    return create_maintenance_window(
        actor=None, name=name, starts_at=NOW + starts, ends_at=NOW + ends, matchers=[{"label": "env", "value": "x"}]
    )


@pytest.mark.parametrize("role", ["agent", "resolver"])
def test_staff_see_what_runs_what_is_planned_and_what_ended(request: pytest.FixtureRequest, role: str) -> None:
    plan("Running", -timedelta(hours=1), timedelta(hours=1))
    plan("Planned", timedelta(days=1), timedelta(days=1, hours=2))
    plan("Over", -timedelta(days=2), -timedelta(days=1))

    with frozen_at(NOW):
        html = signed_in(request.getfixturevalue(role)).get("/integrations/maintenance/").content.decode()

    running, planned, ended = (html.index(f'data-window="{name}"') for name in ("Running", "Planned", "Over"))
    assert html.index("Running now") < running < html.index(">Planned<") < planned < html.index("Ended lately") < ended
    assert "<code>env=x</code>" in html
    assert "/end/" not in html
    assert "Plan maintenance" not in html


def test_a_requester_may_not_read_maintenance_or_changes(requester: User) -> None:
    client = signed_in(requester)

    assert client.get("/integrations/maintenance/").status_code == 403
    assert client.get("/integrations/changes/").status_code == 403


def test_a_manager_plans_a_window_in_their_own_time_zone(incident_manager: User, shop: Graph) -> None:
    incident_manager.time_zone = "Europe/Berlin"
    incident_manager.save()
    client = signed_in(incident_manager)

    response = client.post(
        "/integrations/maintenance/new/", window_form(ci="db1", service="Online shop", reason="Patch\r\nrelease")
    )

    window = MaintenanceWindow.objects.get()
    assert (response.status_code, response["Location"]) == (302, "/integrations/maintenance/")
    assert (window.starts_at, window.ends_at) == (
        datetime(2026, 11, 27, 14, 0, tzinfo=UTC),
        datetime(2026, 11, 27, 16, 30, tzinfo=UTC),
    )
    assert window.matchers == [
        {"label": "env", "op": "=", "value": "prod"},
        {"label": "instance", "op": "=~", "value": "db.*"},
        {"label": "team", "op": "!=", "value": "web"},
    ]
    assert (window.ci, window.service.name, window.reason, window.created_by) == (
        shop["db1"],
        "Online shop",
        "Patch\nrelease",
        incident_manager,
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"matchers": "env"}, "Line 1 (&#x27;env&#x27;) is not a matcher"),
        ({"matchers": "instance=~db(["}, "is not a valid regular expression"),
        ({"matchers": ""}, "Say what the window covers: label matchers, a CI or a service"),
        ({"ends_at": "2026-11-27T14:00"}, "The window must end after it starts."),
        ({"ci": "no-such-host"}, "No configuration item &#x27;no-such-host&#x27;"),
        ({"starts_at": "tomorrow"}, "Enter a valid date/time."),
    ],
)
def test_a_window_keel_cannot_use_is_refused_next_to_the_field(
    incident_manager: User, fields: dict[str, str], message: str
) -> None:
    response = signed_in(incident_manager).post("/integrations/maintenance/new/", window_form(**fields))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not MaintenanceWindow.objects.exists()


def test_a_manager_ends_a_running_window_and_cancels_a_planned_one(incident_manager: User) -> None:
    running = plan("Running", -timedelta(hours=1), timedelta(hours=1))
    planned = plan("Planned", timedelta(days=1), timedelta(days=1, hours=2))
    client = signed_in(incident_manager)

    with frozen_at(NOW):
        page = client.get("/integrations/maintenance/").content.decode()
        ended = client.post(f"/integrations/maintenance/{running.pk}/end/", follow=True).content.decode()
        cancelled = client.post(f"/integrations/maintenance/{planned.pk}/end/", follow=True).content.decode()

    assert ">End now<" in page
    assert ">Cancel<" in page
    assert "Ended “Running”: alerts it covered open incidents again." in ended
    assert "Removed “Planned”: it had not started, so nothing happened under it." in cancelled
    assert list(MaintenanceWindow.objects.values_list("name", "ends_at")) == [("Running", NOW)]


@pytest.mark.parametrize("role", ["agent", "resolver", "requester"])
def test_others_cannot_plan_or_end_maintenance(request: pytest.FixtureRequest, role: str) -> None:
    running = plan("Running", -timedelta(hours=1), timedelta(hours=1))
    client = signed_in(request.getfixturevalue(role))

    with frozen_at(NOW):
        refused = [
            client.get("/integrations/maintenance/new/").status_code,
            client.post("/integrations/maintenance/new/", window_form()).status_code,
            client.post(f"/integrations/maintenance/{running.pk}/end/").status_code,
        ]

    assert refused == [403, 403, 403]
    assert list(MaintenanceWindow.objects.values_list("name", "ends_at")) == [("Running", NOW + timedelta(hours=1))]


def test_ending_an_unknown_window_is_404(incident_manager: User) -> None:
    assert signed_in(incident_manager).post("/integrations/maintenance/9999/end/").status_code == 404


def test_staff_read_the_change_events_newest_first(
    agent: User, sender: Sender, sources: dict[str, IssuedSecret]
) -> None:
    event = {**captured("pagerduty", "python-pagerduty-7.2.0-events-v2-change")["json"]}
    event["routing_key"] = sources["pagerduty"].secret
    sender.post(sources["pagerduty"].url + "/v2/change/enqueue", event)
    sender.post(
        sources["pagerduty"].url + "/v2/change/enqueue",
        {**event, "payload": {**event["payload"], "summary": "Rolled back checkout"}},
    )
    process_pending()

    html = signed_in(agent).get("/integrations/changes/").content.decode()

    assert html.index("Rolled back checkout") < html.index("Deployed checkout v2.3.1")
    assert "ci-runner-7" in html
    assert f'href="/integrations/sources/{sources["pagerduty"].source.pk}/"' in html
