"""The CMDB in the Django admin: a configuration manager edits it, and every write is the action's
(validated alike, audited); a relationship's derived ends are never asked for."""

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.test import Client

from keel.accounts.models import User
from keel.audit.models import AuditRecord
from keel.cmdb.actions.records import create_service
from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service
from tests.conftest import PASSWORD, Graph

pytestmark = pytest.mark.django_db

Build = Callable[[Sequence[str]], Graph]
Capture = Callable[..., Any]


@pytest.fixture
def client(config_manager: User) -> Client:
    signed_in = Client()
    assert signed_in.login(username=config_manager.username, password=PASSWORD)
    return signed_in


def audit(subject_type: str, subject_id: int) -> list[tuple[str, str, str, str]]:
    """The audit rows people wrote (the fixtures build the CMDB as Keel itself, actor None)."""
    rows = AuditRecord.objects.filter(subject_type=subject_type, subject_id=subject_id, actor__isnull=False)
    rows = rows.order_by("pk")
    return [(str(row.actor), row.field, row.old_value, row.new_value) for row in rows]


def ci_form(ci_types: dict[str, CIType], **fields: Any) -> dict[str, Any]:
    return {
        "name": "web-01",
        "ci_type": ci_types["server"].pk,
        "aliases": "[]",
        "status": "in_service",
        "environment": "production",
        "criticality": "3",
        "owner_team": "",
        "support_group": "",
        "location": "",
        "attributes": "{}",
        "description": "",
        **fields,
    }


def test_adding_and_changing_a_ci_goes_through_the_actions(
    client: Client, ci_types: dict[str, CIType], django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        added = client.post("/admin/cmdb/configurationitem/add/", ci_form(ci_types))
        web = ConfigurationItem.objects.get(name="web-01")
        changed = client.post(f"/admin/cmdb/configurationitem/{web.pk}/change/", ci_form(ci_types, criticality="1"))

    web.refresh_from_db()
    assert (added.status_code, changed.status_code) == (302, 302)
    assert web.criticality == 1
    assert audit("ci", web.pk) == [("Connie", "created", "", "web-01"), ("Connie", "criticality", "3", "1")]


def test_a_bad_ci_re_renders_the_form_and_saves_nothing(client: Client, ci_types: dict[str, CIType]) -> None:
    page = client.post("/admin/cmdb/configurationitem/add/", ci_form(ci_types, aliases='"db7"'))

    assert page.status_code == 200
    assert "Give aliases as a list of names" in page.content.decode()
    assert not ConfigurationItem.objects.exists()


def test_the_relationship_form_asks_only_for_source_kind_and_target(client: Client, build_graph: Build) -> None:
    build_graph(["web depends_on db"])

    page = client.get("/admin/cmdb/relationship/add/").content.decode()

    assert 'name="source"' in page
    assert 'name="target"' in page
    assert 'name="needer"' not in page
    assert 'name="needed"' not in page
    # Ids with a look-up pop-up, not a select that lists every CI.
    assert "<option" not in page.split('name="source"', 1)[1].split("</div>", 1)[0]


def test_adding_a_relationship_derives_which_way_failure_travels(
    client: Client, build_graph: Build, django_capture_on_commit_callbacks: Capture
) -> None:
    graph = build_graph(["web depends_on db"])

    with django_capture_on_commit_callbacks(execute=True):
        added = client.post(
            "/admin/cmdb/relationship/add/",
            {"source": graph["db"].pk, "kind": "part_of", "target": graph["web"].pk},
        )

    relationship = Relationship.objects.get(kind="part_of")
    assert added.status_code == 302
    assert (relationship.needer_id, relationship.needed_id) == (graph["web"].pk, graph["db"].pk)
    assert audit("ci", graph["db"].pk) == [("Connie", "relationship", "", "part of web")]


def test_bad_relationships_are_refused_with_a_reason(client: Client, build_graph: Build) -> None:
    graph = build_graph(["web depends_on db"])

    to_itself = client.post(
        "/admin/cmdb/relationship/add/", {"source": graph["web"].pk, "kind": "runs_on", "target": graph["web"].pk}
    )
    twice = client.post(
        "/admin/cmdb/relationship/add/", {"source": graph["web"].pk, "kind": "depends_on", "target": graph["db"].pk}
    )

    assert (to_itself.status_code, twice.status_code) == (200, 200)
    assert "web cannot be related to itself; pick another CI." in to_itself.content.decode()
    assert "Relationship with this Source, Kind and Target already exists." in twice.content.decode()
    assert Relationship.objects.count() == 1


def test_changing_the_kind_keeps_the_ends_and_turns_the_direction(
    client: Client, build_graph: Build, django_capture_on_commit_callbacks: Capture
) -> None:
    graph = build_graph(["web depends_on db", "web runs_on db", "node depends_on web"])
    relationship = Relationship.objects.get(source=graph["web"], kind="depends_on")

    page = client.get(f"/admin/cmdb/relationship/{relationship.pk}/change/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        taken = client.post(f"/admin/cmdb/relationship/{relationship.pk}/change/", {"kind": "runs_on"})
        changed = client.post(
            f"/admin/cmdb/relationship/{relationship.pk}/change/",
            {"kind": "part_of", "source": graph["node"].pk, "target": graph["node"].pk},
        )

    relationship.refresh_from_db()
    assert 'name="source"' not in page
    assert taken.status_code == 200
    assert f"web already runs on db; delete this relationship (id {relationship.pk}) instead." in taken.content.decode()
    assert changed.status_code == 302
    assert (relationship.source, relationship.kind, relationship.target) == (graph["web"], "part_of", graph["db"])
    assert (relationship.needer_id, relationship.needed_id) == (graph["db"].pk, graph["web"].pk)
    assert audit("ci", graph["web"].pk) == [("Connie", "relationship", "depends on db", "part of db")]


def test_a_ci_that_stands_for_a_service_cannot_be_deleted_here(client: Client, ci_types: dict[str, CIType]) -> None:
    service = create_service(actor=None, name="Online shop", users=100)
    assert service.ci is not None

    page = client.post(f"/admin/cmdb/configurationitem/{service.ci.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert "Business service: Online shop (delete or relink the service first)" in page.content.decode()
    assert ConfigurationItem.objects.filter(pk=service.ci.pk).exists()


def test_deleting_selected_rows_calls_the_action_for_each(
    client: Client, build_graph: Build, django_capture_on_commit_callbacks: Capture
) -> None:
    graph = build_graph(["web depends_on db", "web runs_on node"])
    ids = list(Relationship.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/admin/cmdb/relationship/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
        )

    assert answer.status_code == 302
    assert not Relationship.objects.exists()
    assert sorted(row[2] for row in audit("ci", graph["web"].pk)) == ["depends on db", "runs on node"]


def test_a_service_added_here_joins_the_graph(client: Client, ci_types: dict[str, CIType], build_graph: Build) -> None:
    build_graph(["web depends_on db"])
    form = {"name": "Online shop", "description": "", "owner_team": "", "users": "25000", "criticality": "1", "ci": ""}

    added = client.post("/admin/cmdb/service/add/", form)
    clash = client.post("/admin/cmdb/service/add/", {**form, "name": "web"})

    shop = Service.objects.get(name="Online shop")
    assert added.status_code == 302
    assert shop.ci is not None
    assert (shop.ci.name, shop.ci.ci_type.slug, shop.users) == ("Online shop", "business-service", 25_000)
    assert clash.status_code == 200
    assert "A CI named &#x27;web&#x27; exists already" in clash.content.decode()
    assert not Service.objects.filter(name="web").exists()


def test_a_ci_type_is_added_renamed_and_deleted_here(
    client: Client, ci_types: dict[str, CIType], django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/cmdb/citype/add/", {"slug": "queue", "name": "Queue", "description": ""})
        queue = CIType.objects.get(slug="queue")
        client.post(
            f"/admin/cmdb/citype/{queue.pk}/change/", {"slug": "queue", "name": "Message queue", "description": ""}
        )
        client.post(f"/admin/cmdb/citype/{queue.pk}/delete/", {"post": "yes"})

    assert audit("ci_type", queue.pk) == [
        ("Connie", "created", "", "Queue"),
        ("Connie", "name", "Queue", "Message queue"),
        ("Connie", "deleted", "Message queue", ""),
    ]
    assert not CIType.objects.filter(slug="queue").exists()
