"""The CMDB API routes one by one: relationships (list, read, change the kind), services, CI types,
relationship CSV, downstream impact; who may write each and that everyone signed in reads."""

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from keel.accounts.models import Team, User
from keel.audit.models import AuditRecord
from keel.cmdb.actions.records import create_ci, create_service
from keel.cmdb.actions.relationships import relate
from keel.cmdb.impact import Direction, impact_of
from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service
from keel.incidents.actions.records import open_incident
from tests.conftest import ApiClient, Graph

pytestmark = pytest.mark.django_db

Api = Callable[[User], ApiClient]
Build = Callable[[Sequence[str]], Graph]
NOT_MANAGERS = ["requester", "agent", "resolver", "incident_manager"]
EVERYONE = [*NOT_MANAGERS, "config_manager", "admin_user"]


def delete(client: ApiClient, path: str) -> Any:
    return client.client.delete(f"/api/v1{path}", headers=client.headers)


def post_csv(client: ApiClient, path: str, body: str) -> Any:
    return client.client.post(f"/api/v1{path}", body, content_type="text/csv", headers=client.headers)


def names(answer: Any) -> list[tuple[str, str, str]]:
    return [(item["source"]["name"], item["kind"], item["target"]["name"]) for item in answer.json()["items"]]


@pytest.fixture
def tree(build_graph: Build) -> Graph:
    """shop depends_on api, api depends_on db, api runs_on node, db hosted_on node."""
    return build_graph(["shop depends_on api", "api depends_on db", "api runs_on node", "db hosted_on node"])


# --- relationships --------------------------------------------------------------------------------


def test_relationships_list_with_filters_and_pages(api: Api, requester: User, tree: Graph) -> None:
    client = api(requester)

    everything = client.get("/relationships")
    from_api = client.get("/relationships?source=api")
    into_node = client.get(f"/relationships?target={tree['node'].pk}")
    runs_on = client.get("/relationships?kind=runs_on")
    both = client.get("/relationships?source=api&kind=depends_on")
    second_page = client.get("/relationships?limit=2&offset=2")

    assert everything.status_code == 200
    assert names(everything) == [
        ("shop", "depends_on", "api"),
        ("api", "depends_on", "db"),
        ("api", "runs_on", "node"),
        ("db", "hosted_on", "node"),
    ]
    assert {key: everything.json()[key] for key in ("count", "count_is_capped", "offset", "limit")} == {
        "count": 4,
        "count_is_capped": False,
        "offset": 0,
        "limit": 50,
    }
    assert names(from_api) == [("api", "depends_on", "db"), ("api", "runs_on", "node")]
    assert names(into_node) == [("api", "runs_on", "node"), ("db", "hosted_on", "node")]
    assert names(runs_on) == [("api", "runs_on", "node")]
    assert names(both) == [("api", "depends_on", "db")]
    assert (names(second_page), second_page.json()["count"]) == (
        [("api", "runs_on", "node"), ("db", "hosted_on", "node")],
        4,
    )


def test_the_relationship_count_stops_at_the_cap(
    api: Api, agent: User, build_graph: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_graph([f"app-{number} depends_on hub" for number in range(6)])
    monkeypatch.setattr("keel.lib.paging.COUNT_CAP", 3)

    page = api(agent).get("/relationships?limit=1&offset=1").json()

    assert (len(page["items"]), page["count"], page["count_is_capped"]) == (1, 4, True)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "kind=likes",
            "kind",
            "kind must be one of depends_on, runs_on, hosted_on, connects_to, part_of (got 'likes').",
        ),
        ("source=ghost", "source", "No configuration item 'ghost'; give a CI id or its exact name."),
        ("target=ghost", "target", "No configuration item 'ghost'; give a CI id or its exact name."),
        ("limit=0", "limit", "limit must be 1 or more (got 0)."),
        ("offset=2000000", "offset", "offset must be at most 1000000 (got 2000000)."),
        ("offset=-1", "offset", "offset must be 0 or more (got -1)."),
    ],
)
def test_bad_relationship_filters_say_what_to_fix(api: Api, agent: User, query: str, field: str, message: str) -> None:
    answer = api(agent).get(f"/relationships?{query}")

    assert (answer.status_code, answer.json()["message"], answer.json()["field"]) == (400, message, field)


def test_a_relationship_is_read_by_id(api: Api, requester: User, tree: Graph) -> None:
    relationship = Relationship.objects.get(source=tree["api"], kind="runs_on")

    answer = api(requester).get(f"/relationships/{relationship.pk}")

    assert answer.json() == {
        "id": relationship.pk,
        "source": {"id": tree["api"].pk, "name": "api"},
        "kind": "runs_on",
        "target": {"id": tree["node"].pk, "name": "node"},
    }


def test_changing_the_kind_turns_which_way_failure_travels(
    api: Api, config_manager: User, tree: Graph, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    relationship = Relationship.objects.get(source=tree["db"], kind="hosted_on")
    assert [ci.name for ci in impact_of(tree["db"], direction=Direction.UP, depth=5).cis] == ["api", "shop"]

    with django_capture_on_commit_callbacks(execute=True):
        answer = api(config_manager).patch(f"/relationships/{relationship.pk}", {"kind": "part_of"})

    relationship.refresh_from_db()
    assert (answer.status_code, answer.json()["kind"]) == (200, "part_of")
    # db part_of node: the whole (node) now needs its part (db).
    assert (relationship.needer_id, relationship.needed_id) == (tree["node"].pk, tree["db"].pk)
    assert "node" in [ci.name for ci in impact_of(tree["db"], direction=Direction.UP, depth=5).cis]
    audit = AuditRecord.objects.get(subject_type="ci", subject_id=tree["db"].pk, actor=config_manager)
    assert (str(audit.actor), audit.field, audit.old_value, audit.new_value) == (
        "Connie",
        "relationship",
        "hosted on node",
        "part of node",
    )


def test_a_kind_change_that_changes_nothing_writes_nothing(
    api: Api, config_manager: User, tree: Graph, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    relationship = Relationship.objects.get(source=tree["db"], kind="hosted_on")
    client = api(config_manager)

    with django_capture_on_commit_callbacks(execute=True):
        same = client.patch(f"/relationships/{relationship.pk}", {"kind": "hosted_on"})
        empty = client.patch(f"/relationships/{relationship.pk}", {})

    assert (same.status_code, empty.status_code) == (200, 200)
    assert same.json() == empty.json()
    assert not AuditRecord.objects.filter(actor=config_manager).exists()


def test_bad_kind_changes_say_what_to_fix(api: Api, config_manager: User, tree: Graph) -> None:
    relationship = Relationship.objects.get(source=tree["api"], kind="depends_on")
    relate(actor=None, source=tree["api"], target=tree["db"], kind="runs_on")
    client = api(config_manager)

    taken = client.patch(f"/relationships/{relationship.pk}", {"kind": "runs_on"})
    new_end = client.patch(f"/relationships/{relationship.pk}", {"kind": "runs_on", "target": "node"})
    empty = client.patch(f"/relationships/{relationship.pk}", {"kind": None})
    unknown = client.patch(f"/relationships/{relationship.pk}", {"kind": "likes"})

    assert (taken.status_code, taken.json()) == (
        409,
        {
            "message": f"api already runs on db; delete this relationship (id {relationship.pk}) instead.",
            "field": "kind",
        },
    )
    assert (new_end.status_code, new_end.json()["field"]) == (400, "target")
    assert new_end.json()["message"].startswith("target cannot change: a relationship is its two CIs.")
    assert (empty.status_code, empty.json()["field"]) == (400, "kind")
    assert (unknown.status_code, unknown.json()["field"]) == (400, "kind")
    relationship.refresh_from_db()
    assert relationship.kind == "depends_on"


# --- services -------------------------------------------------------------------------------------


@pytest.fixture
def shop(tree: Graph, network_team: Team) -> Service:
    service = create_service(actor=None, name="Online shop", users=25_000, criticality=1, ci=tree["shop"])
    create_service(actor=None, name="Intranet", users=300, criticality=3)
    return service


def test_services_are_listed_and_read_by_id_or_name(api: Api, requester: User, shop: Service, tree: Graph) -> None:
    client = api(requester)

    listing = client.get("/services")
    by_id, by_name = client.get(f"/services/{shop.pk}"), client.get("/services/Online shop")

    assert [(service["name"], service["users"], service["ci"]["name"]) for service in listing.json()] == [
        ("Intranet", 300, "Intranet"),
        ("Online shop", 25_000, "shop"),
    ]
    assert by_id.json() == by_name.json()
    assert by_id.json() == {
        "id": shop.pk,
        "name": "Online shop",
        "users": 25_000,
        "criticality": 1,
        "description": "",
        "owner_team": None,
        "ci": {"id": tree["shop"].pk, "name": "shop"},
    }


def test_a_configuration_manager_changes_a_service(
    api: Api, config_manager: User, shop: Service, tree: Graph, network_team: Team
) -> None:
    answer = api(config_manager).patch(
        "/services/Online shop", {"users": 30_000, "criticality": 2, "owner_team": "network", "ci": tree["api"].pk}
    )

    shop.refresh_from_db()
    assert answer.status_code == 200
    assert (answer.json()["users"], answer.json()["owner_team"], answer.json()["ci"]["name"]) == (
        30_000,
        "network",
        "api",
    )
    assert (shop.users, shop.criticality, shop.owner_team, shop.ci) == (30_000, 2, network_team, tree["api"])


def test_bad_service_changes_say_what_to_fix(api: Api, config_manager: User, shop: Service) -> None:
    client = api(config_manager)

    empty_name = client.patch(f"/services/{shop.pk}", {"name": None})
    negative = client.patch(f"/services/{shop.pk}", {"users": -1})
    taken = client.patch(f"/services/{shop.pk}", {"name": "Intranet"})

    assert [answer.status_code for answer in (empty_name, negative, taken)] == [400, 400, 400]
    assert [answer.json()["field"] for answer in (empty_name, negative, taken)] == ["name", "users", "name"]
    assert empty_name.json()["message"] == "name cannot be empty; leave it out to keep it."
    shop.refresh_from_db()
    assert (shop.name, shop.users) == ("Online shop", 25_000)


def test_a_service_is_deleted_unless_incidents_name_it(
    api: Api, config_manager: User, agent: User, requester: User, shop: Service
) -> None:
    intranet = Service.objects.get(name="Intranet")
    open_incident(actor=agent, caller=requester, title="Shop down", service=shop)
    client = api(config_manager)

    deleted = delete(client, f"/services/{intranet.pk}")
    refused = delete(client, "/services/Online shop")

    assert deleted.status_code == 204
    assert (refused.status_code, refused.json()["message"]) == (
        409,
        "Incidents name the service Online shop; it cannot be deleted.",
    )
    assert list(Service.objects.values_list("name", flat=True)) == ["Online shop"]
    # The service's CI stays in the graph.
    assert ConfigurationItem.objects.filter(name="Intranet").exists()


# --- CI types -------------------------------------------------------------------------------------


def test_ci_types_are_read_changed_and_deleted_by_slug(api: Api, config_manager: User, tree: Graph) -> None:
    client = api(config_manager)
    client.post("/ci-types", {"slug": "queue", "name": "Queue"})

    read = client.get("/ci-types/queue")
    changed = client.patch("/ci-types/queue", {"name": "Message queue", "description": "Kafka, RabbitMQ"})
    in_use = delete(client, "/ci-types/server")
    deleted = delete(client, "/ci-types/queue")

    assert (read.status_code, read.json()["name"]) == (200, "Queue")
    assert (changed.json()["name"], changed.json()["description"]) == ("Message queue", "Kafka, RabbitMQ")
    assert (in_use.status_code, in_use.json()["message"]) == (
        409,
        "CI type 'server' is still used by CIs; give them another type first.",
    )
    assert deleted.status_code == 204
    assert not CIType.objects.filter(slug="queue").exists()
    assert CIType.objects.filter(slug="server").exists()


# --- relationship CSV, downstream impact ------------------------------------------------------------


def test_relationship_csv_import_and_export_over_the_api(
    api: Api, config_manager: User, ci_types: dict[str, CIType]
) -> None:
    for name in ("web", "db", "disk"):
        create_ci(actor=None, name=name, ci_type=ci_types["server"])
    client = api(config_manager)
    body = "source,kind,target\nweb,depends_on,db\ndb,hosted_on,disk\n"

    first = post_csv(client, "/cmdb/import/relationships", body)
    again = post_csv(client, "/cmdb/import/relationships", body)
    bad = post_csv(client, "/cmdb/import/relationships", "source,kind,target\nweb,runs_on,disk\nweb,likes,db\n")
    exported = client.get("/cmdb/export/relationships")

    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {
            "line": 3,
            "field": "kind",
            "message": "kind must be one of depends_on, runs_on, hosted_on, connects_to, part_of (got 'likes')",
        }
    ]
    assert Relationship.objects.count() == 2
    assert exported["Content-Disposition"] == 'attachment; filename="relationships.csv"'
    assert b"".join(exported.streaming_content).decode().splitlines() == [
        "source,kind,target",
        "web,depends_on,db",
        "db,hosted_on,disk",
    ]


def test_an_unknown_transfer_is_refused(api: Api, config_manager: User) -> None:
    answer = api(config_manager).get("/cmdb/export/teams")

    assert (answer.status_code, answer.json()) == (
        400,
        {"message": "Import and export take 'cis' or 'relationships' (got 'teams').", "field": "what"},
    )


def test_downstream_impact_over_the_api(api: Api, requester: User, tree: Graph) -> None:
    answer = api(requester).get("/cis/shop/impact?direction=down&depth=2")
    one_step = api(requester).get(f"/cis/{tree['shop'].pk}/impact?direction=down&depth=1")

    body = answer.json()
    assert (body["direction"], body["depth"], body["in_cycle"]) == ("down", 2, False)
    assert [(ci["name"], ci["distance"]) for ci in body["cis"]] == [("api", 1), ("db", 2), ("node", 2)]
    assert [ci["name"] for ci in one_step.json()["cis"]] == ["api"]


# --- who may write, who may read --------------------------------------------------------------------


@pytest.mark.parametrize("role_fixture", NOT_MANAGERS)
def test_only_configuration_managers_and_admins_write_these(
    api: Api, request: pytest.FixtureRequest, role_fixture: str, shop: Service, tree: Graph
) -> None:
    client = api(request.getfixturevalue(role_fixture))
    relationship = Relationship.objects.get(source=tree["db"], kind="hosted_on")

    answers = {
        "patch service": client.patch("/services/Online shop", {"users": 1}),
        "delete service": delete(client, "/services/Intranet"),
        "patch type": client.patch("/ci-types/server", {"name": "Box"}),
        "delete type": delete(client, "/ci-types/network-device"),
        "patch relationship": client.patch(f"/relationships/{relationship.pk}", {"kind": "runs_on"}),
        "import relationships": post_csv(
            client, "/cmdb/import/relationships", "source,kind,target\nnode,depends_on,db\n"
        ),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 403)
    assert (
        answers["patch type"].json()["message"] == "Only configuration managers and administrators can change the CMDB."
    )
    assert Service.objects.get(name="Online shop").users == 25_000
    assert Service.objects.filter(name="Intranet").exists()
    assert CIType.objects.get(slug="server").name == "Server"
    assert CIType.objects.filter(slug="network-device").exists()
    assert Relationship.objects.get(pk=relationship.pk).kind == "hosted_on"
    assert Relationship.objects.count() == 4


@pytest.mark.parametrize("role_fixture", ["config_manager", "admin_user"])
def test_configuration_managers_and_admins_write_them(
    api: Api, request: pytest.FixtureRequest, role_fixture: str, shop: Service, tree: Graph
) -> None:
    client = api(request.getfixturevalue(role_fixture))
    relationship = Relationship.objects.get(source=tree["db"], kind="hosted_on")

    answers = [
        client.patch("/services/Online shop", {"users": 1}),
        delete(client, "/services/Intranet"),
        client.patch("/ci-types/server", {"name": "Box"}),
        delete(client, "/ci-types/network-device"),
        client.patch(f"/relationships/{relationship.pk}", {"kind": "runs_on"}),
        post_csv(client, "/cmdb/import/relationships", "source,kind,target\nnode,depends_on,db\n"),
    ]

    assert [answer.status_code for answer in answers] == [200, 204, 200, 204, 200, 200]


@pytest.mark.parametrize("role_fixture", EVERYONE)
def test_everyone_signed_in_reads_these(
    api: Api, request: pytest.FixtureRequest, role_fixture: str, shop: Service, tree: Graph
) -> None:
    client = api(request.getfixturevalue(role_fixture))
    relationship = Relationship.objects.get(source=tree["db"], kind="hosted_on")

    answers = {
        "services": client.get("/services"),
        "service": client.get(f"/services/{shop.pk}"),
        "types": client.get("/ci-types"),
        "type": client.get("/ci-types/server"),
        "relationships": client.get("/relationships?source=db"),
        "relationship": client.get(f"/relationships/{relationship.pk}"),
        "downstream": client.get("/cis/shop/impact?direction=down"),
        "export cis": client.get("/cmdb/export/cis"),
        "export relationships": client.get("/cmdb/export/relationships"),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 200)
