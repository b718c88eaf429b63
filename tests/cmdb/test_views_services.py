"""Business services in the console: everyone signed in reads the list; configuration managers add and edit."""

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.test import Client

from keel.accounts.models import Team, User
from keel.cmdb.actions.records import create_service
from keel.cmdb.models import ConfigurationItem, Service
from tests.conftest import PASSWORD, Graph

pytestmark = pytest.mark.django_db

Build = Callable[[Sequence[str]], Graph]
NOT_MANAGERS = ["requester", "agent", "resolver", "incident_manager"]


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def service_form(**fields: Any) -> dict[str, Any]:
    return {"name": "Online shop", "users": "25000", "criticality": "1", "owner_team": "", "ci": "", **fields}


@pytest.fixture
def shop(build_graph: Build) -> Service:
    graph = build_graph(["shop-web depends_on payments-db"])
    create_service(actor=None, name="Intranet", users=300, criticality=3)
    return create_service(actor=None, name="Online shop", users=25_000, criticality=1, ci=graph["shop-web"])


def test_everyone_signed_in_reads_the_services(requester: User, shop: Service) -> None:
    page = signed_in(requester).get("/cmdb/services/")

    html = page.content.decode()
    assert page.status_code == 200
    assert html.index('data-service="Intranet"') < html.index('data-service="Online shop"')
    assert "25,000" in html
    assert f'href="/cmdb/cis/{shop.ci_id}/"' in html
    assert "Add a service" not in html
    assert "/edit/" not in html


def test_a_configuration_manager_sees_where_to_add_and_edit(config_manager: User, shop: Service) -> None:
    html = signed_in(config_manager).get("/cmdb/services/").content.decode()

    assert 'href="/cmdb/services/new/"' in html
    assert f'href="/cmdb/services/{shop.pk}/edit/"' in html


def test_the_list_costs_the_same_few_queries_for_many_services(
    agent: User, shop: Service, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    for number in range(20):
        create_service(actor=None, name=f"Service {number:02d}", users=number)
    client = signed_in(agent)

    with django_assert_max_num_queries(6):
        page = client.get("/cmdb/services/")

    assert page.content.decode().count("data-service=") == 22


def test_a_new_service_without_a_ci_gets_one_in_the_graph(config_manager: User, ci_types: dict[str, Any]) -> None:
    client = signed_in(config_manager)

    added = client.post("/cmdb/services/new/", service_form(description="Web shop\r\nand checkout"))
    listing = client.get(added["Location"]).content.decode()

    shop = Service.objects.get(name="Online shop")
    assert added.status_code == 302
    assert added["Location"] == "/cmdb/services/"
    assert "Added the business service Online shop." in listing
    assert (shop.users, shop.criticality, shop.description) == (25_000, 1, "Web shop\nand checkout")
    assert shop.ci is not None
    assert (shop.ci.name, shop.ci.ci_type.slug) == ("Online shop", "business-service")


def test_a_new_service_names_an_existing_ci(config_manager: User, build_graph: Build, network_team: Team) -> None:
    graph = build_graph(["shop-web depends_on payments-db"])

    signed_in(config_manager).post("/cmdb/services/new/", service_form(ci="shop-web", owner_team=network_team.pk))

    shop = Service.objects.get(name="Online shop")
    assert (shop.ci, shop.owner_team) == (graph["shop-web"], network_team)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ci": "ghost"}, "No CI named &#x27;ghost&#x27;; give the exact name of an existing CI."),
        ({"name": "shop-web"}, "A CI named &#x27;shop-web&#x27; exists already: give it as the service&#x27;s CI"),
        ({"users": "-5"}, "Ensure this value is greater than or equal to 0."),
        ({"name": "   "}, "This field is required."),
    ],
    ids=["unknown-ci", "ci-name-taken", "negative-users", "no-name"],
)
def test_bad_input_re_renders_the_form_and_saves_nothing(
    config_manager: User, build_graph: Build, fields: dict[str, str], message: str
) -> None:
    build_graph(["shop-web depends_on payments-db"])

    page = signed_in(config_manager).post("/cmdb/services/new/", service_form(**fields))

    assert page.status_code == 400
    assert "There is a problem" in page.content.decode()
    assert message in page.content.decode()
    assert not Service.objects.exists()


def test_a_taken_name_is_refused_by_the_action(config_manager: User, shop: Service) -> None:
    page = signed_in(config_manager).post(f"/cmdb/services/{shop.pk}/edit/", service_form(name="Intranet"))

    assert page.status_code == 400
    assert "Name: Service with this Name already exists." in page.content.decode()
    shop.refresh_from_db()
    assert shop.name == "Online shop"


def test_editing_a_service_changes_users_and_its_place_in_the_graph(
    config_manager: User, shop: Service, build_graph: Build
) -> None:
    client = signed_in(config_manager)

    form = client.get(f"/cmdb/services/{shop.pk}/edit/").content.decode()
    moved = client.post(f"/cmdb/services/{shop.pk}/edit/", service_form(users="30000", ci="payments-db"))
    shop.refresh_from_db()
    moved_to = shop.ci
    unlinked = client.post(f"/cmdb/services/{shop.pk}/edit/", service_form(users="30000", ci=""))
    shop.refresh_from_db()

    assert 'value="shop-web"' in form
    assert "Leave it empty to take the service out of the graph." in form
    assert (moved.status_code, unlinked.status_code) == (302, 302)
    assert moved_to == ConfigurationItem.objects.get(name="payments-db")
    assert (shop.users, shop.ci) == (30_000, None)


def test_an_unknown_service_is_404(config_manager: User) -> None:
    assert signed_in(config_manager).get("/cmdb/services/999999/edit/").status_code == 404


@pytest.mark.parametrize("role_fixture", NOT_MANAGERS)
def test_only_configuration_managers_add_and_edit_services(
    request: pytest.FixtureRequest, role_fixture: str, shop: Service
) -> None:
    client = signed_in(request.getfixturevalue(role_fixture))

    answers = [
        client.get("/cmdb/services/new/"),
        client.post("/cmdb/services/new/", service_form(name="Payroll")),
        client.get(f"/cmdb/services/{shop.pk}/edit/"),
        client.post(f"/cmdb/services/{shop.pk}/edit/", service_form(users="1")),
    ]

    assert [answer.status_code for answer in answers] == [403, 403, 403, 403]
    assert "Only configuration managers and administrators can change the CMDB." in answers[0].content.decode()
    assert not Service.objects.filter(name="Payroll").exists()
    assert Service.objects.get(pk=shop.pk).users == 25_000


def test_signing_in_is_needed(shop: Service) -> None:
    assert Client().get("/cmdb/services/").status_code == 302
    assert Client().post("/cmdb/services/new/", service_form(name="Payroll")).status_code == 302
