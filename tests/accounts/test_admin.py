"""The Django admin lets people in by their role's capabilities, never by is_staff."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from keel.accounts.actions import issue_api_token, user_for_token
from keel.accounts.models import Team, User
from keel.accounts.roles import Role
from keel.audit.models import AuditRecord
from keel.lib.doors import Door
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


# --- every save in the admin goes through accounts.actions, audited --------------------------


def audit(subject_type: str, subject_id: int) -> list[tuple[str, str, str, str, str]]:
    rows = AuditRecord.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("pk")
    return [(str(row.actor or "Keel"), row.channel, row.field, row.old_value, row.new_value) for row in rows]


def user_form(user: User, **fields: str) -> dict[str, str]:
    return {
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "time_zone": user.time_zone,
        "manager": "",
        "role": user.role,
        "is_active": "on",
        **fields,
    }


def test_a_user_added_in_the_admin_is_audited_with_the_role_it_grants(admin_user: User) -> None:
    form = {
        "username": "carol",
        "role": Role.RESOLVER,
        "password1": "a-long-pass-phrase",
        "password2": "a-long-pass-phrase",
    }

    added = signed_in(admin_user).post("/admin/accounts/user/add/", form)

    carol = User.objects.get(username="carol")
    assert added.status_code == 302
    assert added["Location"] == f"/admin/accounts/user/{carol.pk}/change/"
    assert carol.check_password("a-long-pass-phrase")
    assert audit("user", carol.pk) == [
        ("Root", Door.ADMIN, "created", "", "carol"),
        ("Root", Door.ADMIN, "role", "", "resolver"),
    ]


def test_a_role_and_vip_change_in_the_admin_are_audited(admin_user: User, agent: User) -> None:
    form = user_form(agent, role=Role.INCIDENT_MANAGER, is_vip="on")

    saved = signed_in(admin_user).post(f"/admin/accounts/user/{agent.pk}/change/", form)

    agent.refresh_from_db()
    assert saved.status_code == 302
    assert (agent.role, agent.is_vip) == (Role.INCIDENT_MANAGER, True)
    assert audit("user", agent.pk)[2:] == [
        ("Root", Door.ADMIN, "is_vip", "False", "True"),
        ("Root", Door.ADMIN, "role", "agent", "incident_manager"),
    ]


def test_a_password_changed_in_the_admin_is_audited_without_its_value(admin_user: User, agent: User) -> None:
    form = {"password1": "a-new-pass-phrase", "password2": "a-new-pass-phrase", "usable_password": "true"}
    client = signed_in(admin_user)

    page = client.get(f"/admin/accounts/user/{agent.pk}/password/")
    mismatch = client.post(f"/admin/accounts/user/{agent.pk}/password/", {**form, "password2": "other"})
    changed = client.post(f"/admin/accounts/user/{agent.pk}/password/", form)

    agent.refresh_from_db()
    assert (page.status_code, mismatch.status_code, changed.status_code) == (200, 200, 302)
    assert agent.check_password("a-new-pass-phrase")
    assert audit("user", agent.pk)[2:] == [("Root", Door.ADMIN, "password", "", "changed")]


def test_an_administrator_changing_their_own_password_stays_signed_in(admin_user: User) -> None:
    client = signed_in(admin_user)
    form = {"password1": "a-new-pass-phrase", "password2": "a-new-pass-phrase", "usable_password": "true"}

    client.post(f"/admin/accounts/user/{admin_user.pk}/password/", form)

    assert client.get("/admin/").status_code == 200


def test_deleting_selected_users_goes_through_the_action(admin_user: User) -> None:
    carol = User.objects.create_user(username="carol", role=Role.REQUESTER)  # no history: deletable
    carol_id = carol.pk

    answer = signed_in(admin_user).post(
        "/admin/accounts/user/", {"action": "delete_selected", "_selected_action": [carol_id], "post": "yes"}
    )

    assert answer.status_code == 302
    assert not User.objects.filter(pk=carol_id).exists()
    assert audit("user", carol_id) == [("Root", Door.ADMIN, "deleted", "carol", "")]


def test_a_team_and_its_members_are_audited_from_the_admin(admin_user: User, agent: User, resolver: User) -> None:
    client = signed_in(admin_user)
    form = {"slug": "dba", "name": "DBAs", "description": "", "email": "", "manager": "", "members": [agent.pk]}

    added = client.post("/admin/accounts/team/add/", form)
    team = Team.objects.get(slug="dba")
    changed = client.post(f"/admin/accounts/team/{team.pk}/change/", {**form, "name": "DBA", "members": [resolver.pk]})

    assert (added.status_code, changed.status_code) == (302, 302)
    assert list(team.members.all()) == [resolver]
    assert audit("team", team.pk) == [
        ("Root", Door.ADMIN, "created", "", "DBAs"),
        ("Root", Door.ADMIN, "member", "", f"Alice (#{agent.pk})"),
        ("Root", Door.ADMIN, "name", "DBAs", "DBA"),
        ("Root", Door.ADMIN, "member", "", f"Nick (#{resolver.pk})"),
        ("Root", Door.ADMIN, "member", f"Alice (#{agent.pk})", ""),
    ]


def test_tokens_are_revoked_in_the_admin_not_added_changed_or_deleted(admin_user: User, agent: User) -> None:
    issued = issue_api_token(agent)
    client = signed_in(admin_user)

    listed = client.get("/admin/accounts/apitoken/").content.decode()
    revoked = client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [issued.token.pk]}, follow=True
    )

    assert 'value="revoke"' in listed
    assert 'value="delete_selected"' not in listed
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    assert revoked.status_code == 200
    assert "Revoked 1 token(s)" in revoked.content.decode()
    assert user_for_token(issued.raw) is None
    assert [row[:3] for row in audit("api_token", issued.token.pk)] == [
        ("Keel", Door.SYSTEM, "created"),
        ("Root", Door.ADMIN, "revoked_at"),
    ]
