"""Every CMDB change leaves audit rows (who, when, old → new), in the transaction that makes it."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from keel.accounts.models import User
from keel.audit.models import AuditRecord
from keel.cmdb.actions.records import create_ci, delete_ci, update_ci
from keel.cmdb.actions.relationships import relate, unrelate
from keel.cmdb.models import CIType
from keel.lib.errors import NotAllowed
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def audit(subject_type: str, subject_id: int) -> list[tuple[str, str, str, str]]:
    rows = AuditRecord.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("pk")
    return [(str(row.actor), row.field, row.old_value, row.new_value) for row in rows]


def test_creating_changing_relating_and_deleting_a_ci_is_audited(
    config_manager: User, ci_types: dict[str, CIType], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        web = create_ci(actor=config_manager, name="web-01", ci_type=ci_types["server"], criticality=3)
        db = create_ci(actor=config_manager, name="db-01", ci_type=ci_types["database"])
        update_ci(web, actor=config_manager, changes={"criticality": 1, "aliases": ["www"], "location": ""})
        update_ci(web, actor=config_manager, changes={"criticality": 1})
        link = relate(actor=config_manager, source=web, target=db, kind="depends_on")
        unrelate(link, actor=config_manager)
        web_id = web.pk
        delete_ci(web, actor=config_manager)

    assert audit("ci", web_id) == [
        ("Connie", "created", "", "web-01"),
        ("Connie", "criticality", "3", "1"),
        ("Connie", "aliases", "[]", '["www"]'),
        ("Connie", "relationship", "", "depends on db-01"),
        ("Connie", "relationship", "depends on db-01", ""),
        ("Connie", "deleted", "web-01", ""),
    ]


def test_a_refused_change_leaves_no_trace(
    agent: User, build_graph: Callable[[list[str]], Any], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    graph = build_graph(["web depends_on db"])
    before = AuditRecord.objects.count()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotAllowed):
        update_ci(graph["web"], actor=agent, changes={"criticality": 1})

    assert AuditRecord.objects.count() == before


def test_the_ci_record_shows_its_history(
    config_manager: User, ci_types: dict[str, CIType], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        web = create_ci(actor=config_manager, name="web-01", ci_type=ci_types["server"])
        update_ci(web, actor=config_manager, changes={"location": "AMS1"})
    client = Client()
    assert client.login(username="connie", password=PASSWORD)

    page = client.get(f"/cmdb/cis/{web.pk}/").content.decode()

    assert "Location: — → AMS1" in page
    assert "Created" in page
