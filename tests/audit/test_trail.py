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
