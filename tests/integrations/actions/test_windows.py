"""Maintenance windows through their actions: planned, changed, ended or removed, every change
audited field by field, through whichever door it came (API, console, admin)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from keel.accounts.models import User
from keel.integrations.actions.windows import (
    SUBJECT,
    WINDOW_FIELDS,
    create_maintenance_window,
    end_maintenance_window,
    update_maintenance_window,
)
from keel.integrations.models import MaintenanceWindow
from keel.lib.clock import frozen_at
from keel.lib.doors import Door
from keel.lib.errors import InvalidInput
from tests.conftest import ApiClient
from tests.integrations.conftest import audit, doors, field_names, signed_in
from tests.integrations.test_admin import window_form as admin_form
from tests.integrations.views.test_maintenance import window_form as console_form

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
PROD = [{"label": "env", "op": "=", "value": "prod"}]
# Keel stamps who planned a window and when, and the revision every change counts up (the ETag).
STAMPED = {"id", "created_by", "created_at", "revision"}


def test_window_settings_columns_follow_the_model() -> None:
    assert field_names(MaintenanceWindow) == set(WINDOW_FIELDS) | STAMPED


def test_a_windows_life_is_audited_field_by_field(incident_manager: User) -> None:
    with frozen_at(NOW):
        window = create_maintenance_window(
            actor=incident_manager, name="DB upgrade", starts_at=NOW - HOUR, ends_at=NOW + HOUR, matchers=PROD
        )
        update_maintenance_window(window, actor=incident_manager, ends_at=NOW + 2 * HOUR, reason="Vendor patch")
        update_maintenance_window(window, actor=incident_manager, reason="Vendor patch")
        end_maintenance_window(window, actor=incident_manager)
        end_maintenance_window(window, actor=incident_manager)

    assert audit(SUBJECT, window.pk) == [
        ("Imogen", "created", "", "DB upgrade"),
        ("Imogen", "ends_at", (NOW + HOUR).isoformat(), (NOW + 2 * HOUR).isoformat()),
        ("Imogen", "reason", "", "Vendor patch"),
        ("Imogen", "ends_at", (NOW + 2 * HOUR).isoformat(), NOW.isoformat()),
    ]


def test_a_window_that_had_not_started_is_removed_and_that_is_audited(incident_manager: User) -> None:
    with frozen_at(NOW):
        window = create_maintenance_window(
            actor=None, name="Next week", starts_at=NOW + HOUR, ends_at=NOW + 2 * HOUR, matchers=PROD
        )
        pk = window.pk
        ended = end_maintenance_window(window, actor=incident_manager)

    assert ended.pk is None
    assert not MaintenanceWindow.objects.exists()
    assert audit(SUBJECT, pk) == [("Keel", "created", "", "Next week"), ("Imogen", "deleted", "Next week", "")]


def test_a_refused_change_leaves_no_trace(incident_manager: User) -> None:
    window = create_maintenance_window(actor=None, name="Upgrade", starts_at=NOW, ends_at=NOW + HOUR, matchers=PROD)

    with pytest.raises(InvalidInput, match="The window must end after it starts"):
        update_maintenance_window(window, actor=incident_manager, ends_at=NOW - HOUR, reason="Later")

    assert [field for _, field, _, _ in audit(SUBJECT, window.pk)] == ["created"]


def test_each_change_says_which_door_it_came_through(incident_manager: User, api: Callable[[User], ApiClient]) -> None:
    console = signed_in(incident_manager)
    with frozen_at(NOW):
        created = api(incident_manager).post(
            "/maintenance-windows",
            {
                "name": "Over the API",
                "starts_at": "2026-11-27T13:00:00Z",
                "ends_at": "2026-11-27T15:00:00Z",
                "matchers": PROD,
            },
        )
        through_api = MaintenanceWindow.objects.get(pk=created.json()["id"])
        api(incident_manager).patch(f"/maintenance-windows/{through_api.pk}", {"reason": "Patch"})
        console.post(f"/integrations/maintenance/{through_api.pk}/end/")
        console.post("/integrations/maintenance/new/", console_form(name="In the console"))
        console.post("/admin/integrations/maintenancewindow/add/", admin_form(name="In the admin"))
    in_the_console = MaintenanceWindow.objects.get(name="In the console")
    in_the_admin = MaintenanceWindow.objects.get(name="In the admin")

    assert doors(SUBJECT, through_api.pk) == [("created", Door.API), ("reason", Door.API), ("ends_at", Door.CONSOLE)]
    assert doors(SUBJECT, in_the_console.pk) == [("created", Door.CONSOLE)]
    assert doors(SUBJECT, in_the_admin.pk) == [("created", Door.ADMIN)]
