"""The CMDB console: list and search, the impact graph page, editing only for configuration managers."""

from collections.abc import Callable, Sequence

import pytest
from django.test import Client

from keel.accounts.models import User
from keel.cmdb.models import CIType, ConfigurationItem, Relationship
from tests.conftest import PASSWORD, Graph

pytestmark = pytest.mark.django_db

Build = Callable[[Sequence[str]], Graph]


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_list_searches_names_and_aliases(requester: User, build_graph: Build) -> None:
    graph = build_graph(["web-01 depends_on db-01"])
    ConfigurationItem.objects.filter(pk=graph["db-01"].pk).update(aliases=["pg-main.example.com"])
    client = signed_in(requester)

    by_alias = client.get("/cmdb/", {"q": "pg-main"}).content.decode()
    everything = client.get("/cmdb/").content.decode()

    assert "db-01" in by_alias
    assert "web-01" not in by_alias
    assert "web-01" in everything
    assert "Add a CI" not in everything


def test_the_impact_page_draws_layers_and_marks_the_cycle(agent: User, build_graph: Build) -> None:
    graph = build_graph(["shop depends_on api", "api depends_on db", "db depends_on api", "db runs_on disk"])

    page = signed_in(agent).get(f"/cmdb/cis/{graph['disk'].pk}/impact/", {"direction": "up", "depth": "5"})

    html = page.content.decode()
    assert page.status_code == 200
    assert "What breaks if disk fails" in html
    assert html.index('data-ci="db"') < html.index('data-ci="api"') < html.index('data-ci="shop"')
    assert "runs on disk" in html
    assert "↻ leads back to db" in html
    assert "3 CIs within 5 steps" in html


def test_the_impact_page_downstream_and_a_bad_depth(agent: User, build_graph: Build) -> None:
    graph = build_graph(["shop depends_on api", "api depends_on db"])
    client = signed_in(agent)

    down = client.get(f"/cmdb/cis/{graph['shop'].pk}/impact/", {"direction": "down", "depth": "1"}).content.decode()
    bad = client.get(f"/cmdb/cis/{graph['shop'].pk}/impact/", {"depth": "99"})

    assert "What shop needs" in down
    assert 'data-ci="api"' in down
    assert 'data-ci="db"' not in down
    assert bad.status_code == 400
    assert "depth must be a whole number from 1 to 20" in bad.content.decode()


def test_the_ci_record_shows_relationships_and_incidents(agent: User, build_graph: Build) -> None:
    graph = build_graph(["web depends_on db"])

    page = signed_in(agent).get(f"/cmdb/cis/{graph['db'].pk}/").content.decode()

    assert "Open incidents (0)" in page
    assert 'href="/cmdb/cis/' in page
    assert "depends on" in page
    assert "Add relationship" not in page


def test_a_configuration_manager_adds_edits_and_relates_cis(config_manager: User, ci_types: dict[str, CIType]) -> None:
    client = signed_in(config_manager)
    form = {
        "name": "web-01",
        "ci_type": ci_types["server"].pk,
        "criticality": "2",
        "status": "in_service",
        "environment": "production",
        "aliases": "www; www.example.com",
        "attributes": '{"os": "Debian"}',
    }

    created = client.post("/cmdb/cis/new/", form)
    client.post("/cmdb/cis/new/", {**form, "name": "db-01", "aliases": "", "attributes": ""})
    web = ConfigurationItem.objects.get(name="web-01")
    edited = client.post(f"/cmdb/cis/{web.pk}/edit/", {**form, "criticality": "1"})
    related = client.post(f"/cmdb/cis/{web.pk}/relationships/", {"kind": "depends_on", "target": "db-01"})

    web.refresh_from_db()
    assert (created.status_code, edited.status_code, related.status_code) == (302, 302, 302)
    assert (web.criticality, web.aliases, web.attributes) == (1, ["www", "www.example.com"], {"os": "Debian"})
    assert str(Relationship.objects.get()) == "web-01 depends on db-01"
    removed = client.post(f"/cmdb/relationships/{Relationship.objects.get().pk}/delete/", {"back": web.pk})
    assert removed.status_code == 302
    assert not Relationship.objects.exists()


def test_bad_attributes_re_render_the_form_and_save_nothing(config_manager: User, ci_types: dict[str, CIType]) -> None:
    form = {"name": "web-01", "ci_type": ci_types["server"].pk, "criticality": "2", "status": "in_service",
            "environment": "production", "attributes": "[1, 2]"}  # fmt: skip

    page = signed_in(config_manager).post("/cmdb/cis/new/", form)

    assert page.status_code == 400
    assert "Give a JSON object" in page.content.decode()
    assert not ConfigurationItem.objects.exists()


@pytest.mark.parametrize("role_fixture", ["requester", "agent", "resolver", "incident_manager"])
def test_only_configuration_managers_edit_the_cmdb_in_the_console(
    request: pytest.FixtureRequest, role_fixture: str, build_graph: Build
) -> None:
    graph = build_graph(["web depends_on db"])
    client = signed_in(request.getfixturevalue(role_fixture))

    answers = [
        client.get("/cmdb/cis/new/"),
        client.get(f"/cmdb/cis/{graph['web'].pk}/edit/"),
        client.post(f"/cmdb/cis/{graph['web'].pk}/relationships/", {"kind": "depends_on", "target": "db"}),
        client.post(f"/cmdb/relationships/{Relationship.objects.get().pk}/delete/"),
    ]

    assert [answer.status_code for answer in answers] == [403, 403, 403, 403]
    assert Relationship.objects.count() == 1


def test_signing_in_is_needed(build_graph: Build) -> None:
    graph = build_graph(["web depends_on db"])

    assert Client().get("/cmdb/").status_code == 302
    assert Client().get(f"/cmdb/cis/{graph['web'].pk}/impact/").status_code == 302


def test_a_huge_impact_is_drawn_only_up_to_the_cap(agent: User, build_graph: Build) -> None:
    graph = build_graph([f"app-{number:03d} depends_on hub" for number in range(305)])

    page = signed_in(agent).get(f"/cmdb/cis/{graph['hub'].pk}/impact/").content.decode()

    assert "305 CIs within 6 steps" in page
    assert page.count('data-ci="') == 301
    assert "5 more CIs not drawn: the graph shows the nearest 300." in page
