"""The audit trail: append-only, and each row says which door the change came through."""

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from keel.accounts.models import User
from keel.audit.models import AppendOnly, AuditRecord
from keel.cli import main
from keel.cmdb.actions.records import create_ci
from keel.cmdb.models import CIType, ConfigurationItem
from keel.lib.doors import Door
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db


def channels_of(ci: ConfigurationItem) -> list[tuple[str, str]]:
    rows = AuditRecord.objects.filter(subject_type="ci", subject_id=ci.pk).order_by("pk")
    return list(rows.values_list("field", "channel"))


@pytest.fixture
def ci(config_manager: User, ci_types: dict[str, CIType]) -> ConfigurationItem:
    return create_ci(actor=config_manager, name="web-01", ci_type=ci_types["server"])


def test_an_audit_row_can_be_neither_changed_nor_deleted(ci: ConfigurationItem) -> None:
    row = AuditRecord.objects.get(subject_type="ci", subject_id=ci.pk)
    row.new_value = "forged"

    with pytest.raises(AppendOnly):
        row.save()
    with pytest.raises(AppendOnly):
        row.delete()
    with pytest.raises(AppendOnly):
        AuditRecord.objects.filter(pk=row.pk).update(new_value="forged")
    with pytest.raises(AppendOnly):
        AuditRecord.objects.filter(pk=row.pk).delete()
    assert AuditRecord.objects.get(pk=row.pk).new_value == "web-01"


def test_a_change_made_by_keel_itself_says_so(ci: ConfigurationItem) -> None:
    assert channels_of(ci) == [("created", Door.SYSTEM)]


def test_the_api_the_console_and_the_admin_are_told_apart(
    ci: ConfigurationItem, config_manager: User, api: Callable[[User], ApiClient]
) -> None:
    console = Client()
    assert console.login(username=config_manager.username, password=PASSWORD)

    through_api = api(config_manager).patch(f"/cis/{ci.pk}", {"criticality": 1})
    through_console = console.post(
        f"/cmdb/cis/{ci.pk}/edit/",
        {
            "name": "web-01",
            "ci_type": ci.ci_type_id,
            "aliases": "",
            "status": ci.status,
            "environment": ci.environment,
            "criticality": 2,
            "location": "",
            "attributes": "{}",
            "description": "",
        },
    )
    through_admin = console.post(
        f"/admin/cmdb/configurationitem/{ci.pk}/change/",
        {
            "name": "web-01",
            "ci_type": ci.ci_type_id,
            "aliases": "[]",
            "status": ci.status,
            "environment": ci.environment,
            "criticality": 3,
            "location": "",
            "attributes": "{}",
            "description": "",
        },
    )

    assert (through_api.status_code, through_console.status_code, through_admin.status_code) == (200, 302, 302)
    assert channels_of(ci)[1:] == [
        ("criticality", Door.API),
        ("criticality", Door.CONSOLE),
        ("criticality", Door.ADMIN),
    ]


def test_the_command_line_says_so(ci_types: dict[str, CIType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    csv = tmp_path / "cis.csv"
    csv.write_text("name,type,criticality\nimported-01,server,2\n")
    monkeypatch.setattr(sys, "argv", ["keel", "cmdb", "import", "cis", str(csv)])
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)  # the test's own

    main()

    imported = ConfigurationItem.objects.get(name="imported-01")
    assert channels_of(imported) == [("created", Door.CLI)]


def test_no_door_changes_or_deletes_an_audit_row(
    ci: ConfigurationItem, admin_user: User, api: Callable[[User], ApiClient]
) -> None:
    row = AuditRecord.objects.get(subject_type="ci", subject_id=ci.pk)
    admin = Client()
    assert admin.login(username=admin_user.username, password=PASSWORD)
    url = f"/admin/audit/auditrecord/{row.pk}"
    forged = {"subject_type": "ci", "subject_id": ci.pk, "field": "created", "new_value": "forged", "channel": "api"}
    client = api(admin_user)

    viewed = admin.get(f"{url}/change/")
    answers = {
        "admin change": admin.post(f"{url}/change/", forged).status_code,
        "admin delete page": admin.get(f"{url}/delete/").status_code,
        "admin delete": admin.post(f"{url}/delete/", {"post": "yes"}).status_code,
        "admin add": admin.post("/admin/audit/auditrecord/add/", forged).status_code,
        "API POST": client.post("/audit", forged).status_code,
        "API PATCH": client.patch("/audit", forged).status_code,
        "API PUT": client.client.put("/api/v1/audit", forged, headers=client.headers).status_code,
        "API DELETE": client.delete("/audit").status_code,
        "API DELETE one": client.delete(f"/audit/{row.pk}").status_code,
    }
    bulk = admin.post(
        "/admin/audit/auditrecord/", {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    )

    assert viewed.status_code == 200
    assert 'name="_save"' not in viewed.content.decode()
    assert answers == {
        "admin change": 403,
        "admin delete page": 403,
        "admin delete": 403,
        "admin add": 403,
        "API POST": 405,
        "API PATCH": 405,
        "API PUT": 405,
        "API DELETE": 405,
        "API DELETE one": 404,
    }
    assert bulk.status_code == 200  # the list again: "delete selected" is not offered
    assert AuditRecord.objects.filter(subject_type="ci", subject_id=ci.pk).count() == 1
    assert AuditRecord.objects.get(pk=row.pk).new_value == "web-01"
