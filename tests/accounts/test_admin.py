"""The Django admin lets people in by their role's capabilities, never by is_staff."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from keel.accounts.models import User
from keel.accounts.roles import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CMDB = ["/admin/cmdb/configurationitem/", "/admin/cmdb/relationship/", "/admin/cmdb/service/", "/admin/cmdb/citype/"]
SLA = ["/admin/sla/calendar/", "/admin/sla/policy/", "/admin/sla/clock/"]
REFERENCE = [
    "/admin/accounts/user/",
    "/admin/accounts/team/",
    "/admin/incidents/category/",
    "/admin/incidents/priorityrule/",
    "/admin/audit/auditrecord/",
]


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def statuses(client: Client, paths: list[str]) -> set[int]:
    return {client.get(path).status_code for path in paths}


def test_a_configuration_manager_gets_the_cmdb_and_nothing_else(config_manager: User) -> None:
    client = signed_in(config_manager)

    index = client.get("/admin/")

    assert config_manager.is_staff is False
    assert index.status_code == 200
    assert "Configuration items" in index.content.decode()
    assert "Calendars" not in index.content.decode()
    assert "Users" not in index.content.decode()
    assert statuses(client, CMDB) == {200}
    assert statuses(client, SLA + REFERENCE) == {403}


def test_an_incident_manager_gets_the_sla_set_up(incident_manager: User) -> None:
    client = signed_in(incident_manager)

    assert statuses(client, SLA) == {200}
    assert statuses(client, CMDB + REFERENCE) == {403}


def test_an_administrator_gets_everything(admin_user: User) -> None:
    client = signed_in(admin_user)

    assert admin_user.is_superuser is False
    assert statuses(client, ["/admin/", *CMDB, *SLA, *REFERENCE]) == {200}


@pytest.mark.parametrize("role_fixture", ["requester", "agent", "resolver"])
def test_other_roles_are_told_the_admin_is_not_for_them(request: pytest.FixtureRequest, role_fixture: str) -> None:
    client = signed_in(request.getfixturevalue(role_fixture))

    page = client.get("/admin/", follow=True)

    assert page.status_code == 403
    assert "The admin is for administrators, configuration managers" in page.content.decode()
    assert statuses(client, ["/admin/cmdb/configurationitem/"]) == {302}


def test_signing_in_goes_through_keels_sign_in_and_back(config_manager: User) -> None:
    client = Client()

    to_admin_login = client.get("/admin/cmdb/service/")
    to_sign_in = client.get(to_admin_login["Location"])
    signed = client.post(to_sign_in["Location"], {"username": "connie", "password": PASSWORD})

    assert to_admin_login.status_code == 302
    assert to_sign_in["Location"] == "/sign-in/?next=/admin/cmdb/service/"
    assert signed["Location"] == "/admin/cmdb/service/"
    assert client.get(signed["Location"]).status_code == 200


def test_a_role_changed_in_the_admin_opens_the_cmdb_at_once(admin_user: User, agent: User) -> None:
    form = {
        "username": "alice",
        "name": "Alice",
        "email": "",
        "phone": "",
        "time_zone": "UTC",
        "manager": "",
        "role": Role.CONFIGURATION_MANAGER,
        "is_active": "on",
        "failed_sign_ins": "0",
        "locked_until_0": "",
        "locked_until_1": "",
    }

    saved = signed_in(admin_user).post(f"/admin/accounts/user/{agent.pk}/change/", form)

    agent.refresh_from_db()
    assert saved.status_code == 302
    assert (agent.role, agent.is_staff) == (Role.CONFIGURATION_MANAGER, False)
    assert statuses(signed_in(agent), CMDB) == {200}


def test_the_user_form_offers_no_staff_or_superuser_flags(admin_user: User, agent: User) -> None:
    page = signed_in(admin_user).get(f"/admin/accounts/user/{agent.pk}/change/").content.decode()

    assert 'name="role"' in page
    assert 'name="is_staff"' not in page
    assert 'name="is_superuser"' not in page


def test_createsuperuser_makes_an_administrator(db: None) -> None:
    call_command("createsuperuser", username="boss", email="", interactive=False, stdout=StringIO())

    assert User.objects.get(username="boss").role == Role.ADMIN
