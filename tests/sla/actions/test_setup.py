"""SLA set-up is audited through every door (DESIGN §4.5), one action each for the API and the
admin; clocks are the engine's own bookkeeping and leave none. The field lists people set are
held to the models."""

import json
from collections.abc import Callable
from typing import Final

from django.test import Client

from keel.accounts.models import User
from keel.audit.models import AuditRecord
from keel.incidents.actions.records import open_incident
from keel.lib.clock import frozen_at
from keel.lib.doors import Door
from keel.sla.actions.setup import CALENDAR_FIELDS, POLICY_FIELDS, create_calendar, extend_public_holidays
from keel.sla.models import Calendar, Clock, Policy
from tests.conftest import ApiClient
from tests.sla.conftest import HOUR, OFFICE_HOURS, london

NIGHTS: Final = [{"weekday": "mon", "opens": "22:00", "closes": "06:00", "closes_next_day": True}]
# What a calendar's actions keep themselves, never set by people.
CALENDAR_KEPT: Final = {
    "id",
    "holidays",  # copied from the holidays package for holiday_country/holiday_subdivision
    "version",  # counted up by each edit that changes how time counts
    "updated_at",  # stamped by each edit
    "revision",  # counted up by every change (keel.audit.Versioned), sent as the ETag
}
# What a policy's actions keep themselves.
POLICY_KEPT: Final = {"id", "revision"}


def _trail(subject_type: str, subject_id: int) -> list[tuple[str, str, str, str]]:
    rows = AuditRecord.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("pk")
    return [(row.field, row.old_value, row.new_value, row.channel) for row in rows]


def test_calendar_columns_follow_the_model() -> None:
    columns = sorted(field.name for field in Calendar._meta.concrete_fields)

    # Each field once (a list, so a field in both fails too).
    assert columns == sorted([*CALENDAR_FIELDS, *CALENDAR_KEPT]), (
        "name the new field in CALENDAR_FIELDS or CALENDAR_KEPT"
    )


def test_policy_columns_follow_the_model() -> None:
    columns = sorted(field.name for field in Policy._meta.concrete_fields)

    assert columns == sorted([*POLICY_FIELDS, *POLICY_KEPT]), "name the new field in POLICY_FIELDS or POLICY_KEPT"


def test_a_calendar_created_and_edited_through_the_api_is_audited_field_by_field(
    api: Callable[[User], ApiClient], incident_manager: User
) -> None:
    client = api(incident_manager)
    created = client.post("/sla/calendars", {"name": "Nights", "zone": "UTC", "windows": NIGHTS})
    renamed = client.patch("/sla/calendars/Nights", {"name": "Night shift"})
    widened = client.patch("/sla/calendars/Night shift", {"windows": [{**NIGHTS[0], "opens": "21:00"}]})

    assert (created.status_code, renamed.status_code, widened.status_code) == (201, 200, 200)
    assert created["Location"] == f"/api/v1/sla/calendars/{created.json()['id']}"
    trail = _trail("sla_calendar", created.json()["id"])
    assert trail[:2] == [
        ("created", "", "Nights (UTC)", Door.API),
        ("name", "Nights", "Night shift", Door.API),
    ]
    assert [(field, channel) for field, _, _, channel in trail[2:]] == [("windows", Door.API), ("version", Door.API)]
    assert (json.loads(trail[2][2])[0]["opens"], trail[3][1:3]) == ("21:00", ("1", "2"))
    assert AuditRecord.objects.get(subject_type="sla_calendar", field="version").actor == incident_manager


def test_an_edit_that_changes_nothing_writes_nothing(api: Callable[[User], ApiClient], incident_manager: User) -> None:
    client = api(incident_manager)
    calendar = client.post("/sla/calendars", {"name": "Nights", "zone": "UTC", "windows": NIGHTS}).json()

    again = client.patch("/sla/calendars/Nights", {"name": "Nights", "windows": NIGHTS})

    assert (again.status_code, again.json()["version"], again.json()["updated_at"]) == (
        200,
        1,
        calendar["updated_at"],
    )
    assert [field for field, *_ in _trail("sla_calendar", calendar["id"])] == ["created"]


def test_a_policy_created_edited_and_deleted_through_the_api_is_audited(
    api: Callable[[User], ApiClient], incident_manager: User, office_hours: Calendar
) -> None:
    client = api(incident_manager)
    body = {"name": "Mine", "calendar": office_hours.pk, "resolution_target_seconds": HOUR}
    created = client.post("/sla/policies", body)
    policy_id = created.json()["id"]
    edited = client.patch(f"/sla/policies/{policy_id}", {"resolution_target_seconds": 2 * HOUR, "priority": 2})
    deleted = client.delete(f"/sla/policies/{policy_id}")

    assert (created.status_code, edited.status_code, deleted.status_code) == (201, 200, 204)
    assert created["Location"] == f"/api/v1/sla/policies/{policy_id}"
    assert _trail("sla_policy", policy_id) == [
        ("created", "", "Mine", Door.API),
        ("priority", "", "2", Door.API),
        ("resolution_target_s", "3600", "7200", Door.API),
        ("deleted", "Mine", "", Door.API),
    ]


def test_a_patch_may_empty_a_criterion_but_not_a_field_that_cannot_be_empty(
    api: Callable[[User], ApiClient], incident_manager: User, policies: dict[int, Policy]
) -> None:
    client = api(incident_manager)

    any_priority = client.patch(f"/sla/policies/{policies[1].pk}", {"priority": None})
    no_thresholds = client.patch(f"/sla/policies/{policies[1].pk}", {"thresholds": None})
    no_zone = client.patch(f"/sla/calendars/{policies[1].calendar_id}", {"zone": None})

    assert (any_priority.status_code, any_priority.json()["priority"]) == (200, None)
    assert (no_thresholds.status_code, no_thresholds.json()["field"]) == (400, "thresholds")
    assert (no_zone.status_code, no_zone.json()["field"]) == (400, "zone")
    assert Policy.objects.get(pk=policies[1].pk).thresholds == [50, 75, 90]


def test_a_refused_change_leaves_no_audit_row(
    api: Callable[[User], ApiClient], agent: User, incident_manager: User, policies: dict[int, Policy]
) -> None:
    agents, managers = api(agent), api(incident_manager)  # issuing their tokens is audited too
    before = AuditRecord.objects.count()

    forbidden = agents.patch(f"/sla/policies/{policies[1].pk}", {"resolution_target_seconds": 60})
    invalid = managers.patch(f"/sla/policies/{policies[1].pk}", {"thresholds": [120]})

    assert (forbidden.status_code, invalid.status_code) == (403, 400)
    assert AuditRecord.objects.count() == before


def test_a_used_calendar_or_policy_is_refused_deletion_and_nothing_is_audited(
    api: Callable[[User], ApiClient], incident_manager: User, agent: User, requester: User, policies: dict[int, Policy]
) -> None:
    with frozen_at(london("2025-06-02T09:00")):
        open_incident(actor=agent, caller=requester, title="Mail down")
    client = api(incident_manager)

    policy = client.delete(f"/sla/policies/{policies[0].pk}")
    calendar = client.delete(f"/sla/calendars/{policies[0].calendar_id}")

    assert (policy.status_code, calendar.status_code) == (409, 409)
    assert "set is_active to false instead" in policy.json()["message"]
    assert [field for field, *_ in _trail("sla_policy", policies[0].pk)] == ["created"]


def test_the_admin_saves_through_the_same_actions_and_is_audited_as_the_admin(
    admin_user: User, policies: dict[int, Policy]
) -> None:
    console = Client()
    console.force_login(admin_user)
    policy = policies[3]
    form = {
        "name": policy.name,
        "position": policy.position,
        "is_active": "on",
        "priority": policy.priority,
        "service": "",
        "category_id": "",
        "caller_vip": "unknown",
        "calendar": policy.calendar_id,
        "response_target_s": policy.response_target_s,
        "resolution_target_s": 4 * HOUR,
        "thresholds": json.dumps(policy.thresholds),
        "pausing_reasons": json.dumps(policy.pausing_reasons),
        "on_reopen": policy.on_reopen,
    }

    response = console.post(f"/admin/sla/policy/{policy.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()
    assert _trail("sla_policy", policy.pk)[1:] == [("resolution_target_s", "28800", "14400", Door.ADMIN)]


def test_the_daily_holiday_extension_is_audited_as_keel_itself(db: None) -> None:
    fields = {"name": "London", "zone": "Europe/London", "windows": OFFICE_HOURS, "holiday_country": "GB"}
    with frozen_at(london("2025-06-02T09:00")):
        calendar = create_calendar(actor=None, fields=fields)
    with frozen_at(london("2027-06-01T09:00")):
        extend_public_holidays()

    holidays, version = AuditRecord.objects.filter(subject_type="sla_calendar", subject_id=calendar.pk)[1:]
    assert [(row.field, row.channel, row.actor_id) for row in (holidays, version)] == [
        ("holidays", Door.SYSTEM, None),
        ("version", Door.SYSTEM, None),
    ]
    assert (json.loads(holidays.new_value)[-1]["date"], version.new_value) == ("2032-12-28", "2")


def test_clocks_leave_no_audit_rows(agent: User, requester: User, policies: dict[int, Policy]) -> None:
    with frozen_at(london("2025-06-02T09:00")):
        incident = open_incident(actor=agent, caller=requester, title="Mail down")

    assert Clock.objects.filter(incident_id=incident.pk).count() == 2
    assert not AuditRecord.objects.filter(subject_type__startswith="sla").exclude(field="created").exists()
