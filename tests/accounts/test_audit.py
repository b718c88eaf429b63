"""Every change of a person, a team or an API token leaves audit rows (who, old → new), in the
transaction that makes it; a password is recorded as changed, never shown."""

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.accounts.actions import (
    USER_FIELDS,
    add_team_member,
    change_password,
    create_team,
    create_user,
    delete_team,
    ensure_team,
    issue_api_token,
    revoke_api_token,
    set_shared_password,
    set_team_members,
    sign_in,
    update_team,
    update_user,
    user_for_token,
)
from keel.accounts.models import ApiToken, Team, User
from keel.accounts.roles import Role
from keel.audit.models import AuditRecord
from keel.incidents.actions.records import open_incident
from keel.lib.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db


def audit(subject_type: str, subject_id: int) -> list[tuple[str, str, str, str]]:
    rows = AuditRecord.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("pk")
    return [(str(row.actor or "Keel"), row.field, row.old_value, row.new_value) for row in rows]


def test_user_fields_columns_follow_the_model() -> None:
    # Fields people change are audited (USER_FIELDS); these are not theirs to set this way.
    not_edited = {
        "id",
        "password",  # its own action, change_password, audited without its value
        "last_login",  # Django stamps it at sign-in
        "date_joined",  # set once, when the account is made
        "is_staff",  # Keel reads roles only (admin_access): never set, never read
        "is_superuser",
    }

    fields = {field.name for field in User._meta.concrete_fields}

    assert fields == USER_FIELDS | not_edited


def test_creating_a_user_records_the_role_it_grants(admin_user: User) -> None:
    carol = create_user(username="carol", role=Role.RESOLVER, actor=admin_user)

    assert audit("user", carol.pk) == [("Root", "created", "", "carol"), ("Root", "role", "", "resolver")]


def test_each_changed_field_of_a_person_is_audited(admin_user: User, agent: User, requester: User) -> None:
    changes = {
        "role": Role.INCIDENT_MANAGER,
        "is_vip": True,
        "is_active": False,
        "name": "Alice Smith",
        "email": "alice@example.com",
        "time_zone": "Europe/Paris",
        "manager": admin_user,
    }

    changed = update_user(agent, actor=admin_user, changes=changes)
    again = update_user(agent, actor=admin_user, changes=changes)

    agent.refresh_from_db()
    assert (changed, again) == (list(changes), [])
    assert (agent.role, agent.is_vip, agent.is_active, agent.manager) == ("incident_manager", True, False, admin_user)
    assert audit("user", agent.pk)[2:] == [
        ("Root", "role", "agent", "incident_manager"),
        ("Root", "is_vip", "False", "True"),
        ("Root", "is_active", "True", "False"),
        ("Root", "name", "Alice", "Alice Smith"),
        ("Root", "email", "", "alice@example.com"),
        ("Root", "time_zone", "UTC", "Europe/Paris"),
        ("Root", "manager", "", f"Root (#{admin_user.pk})"),
    ]


def test_a_bad_change_is_refused_and_leaves_no_trace(admin_user: User, agent: User) -> None:
    before = AuditRecord.objects.count()

    with pytest.raises(InvalidInput, match="Unknown time zone"):
        update_user(agent, actor=admin_user, changes={"role": Role.ADMIN, "time_zone": "Mars/Olympus"})
    with pytest.raises(InvalidInput, match="cannot be set: password"):
        update_user(agent, actor=admin_user, changes={"password": "x"})

    agent.refresh_from_db()
    assert (agent.role, AuditRecord.objects.count()) == (Role.AGENT, before)


def test_a_password_change_is_audited_without_its_value(admin_user: User, agent: User) -> None:
    change_password(agent, actor=admin_user, password="another-horse-battery")
    change_password(agent, actor=admin_user, password=None)
    set_shared_password([agent], "demo-password")

    assert audit("user", agent.pk)[2:] == [
        ("Root", "password", "", "changed"),
        ("Root", "password", "", "disabled (API tokens only)"),
        ("Keel", "password", "", "changed"),
    ]
    assert not AuditRecord.objects.filter(new_value__contains="horse").exists()
    assert User.objects.get(pk=agent.pk).check_password("demo-password")


def test_failed_sign_ins_are_not_audited(agent: User) -> None:
    before = AuditRecord.objects.count()

    sign_in(None, username="alice", password="wrong", address="192.0.2.1")
    sign_in(None, username="nobody", password="wrong", address="192.0.2.1")

    assert AuditRecord.objects.count() == before


def test_teams_their_fields_and_their_members_are_audited(admin_user: User, agent: User, resolver: User) -> None:
    team = create_team(actor=admin_user, slug="dba", name="DBAs")
    update_team(team, actor=admin_user, changes={"name": "Database administrators", "manager": agent})
    add_team_member(team, agent, actor=admin_user)
    add_team_member(team, agent, actor=admin_user)
    set_team_members(team, actor=admin_user, members=[resolver])

    assert list(team.members.all()) == [resolver]
    assert audit("team", team.pk) == [
        ("Root", "created", "", "DBAs"),
        ("Root", "name", "DBAs", "Database administrators"),
        ("Root", "manager", "", f"Alice (#{agent.pk})"),
        ("Root", "member", "", f"Alice (#{agent.pk})"),
        ("Root", "member", "", f"Nick (#{resolver.pk})"),
        ("Root", "member", f"Alice (#{agent.pk})", ""),
    ]


def test_ensure_team_audits_only_what_it_changes(agent: User) -> None:
    first = ensure_team(slug="dba", name="DBAs")
    again = ensure_team(slug="dba", manager=agent)
    ensure_team(slug="dba", manager=agent)

    assert first == again
    assert audit("team", first.pk) == [("Keel", "created", "", "DBAs"), ("Keel", "manager", "", f"Alice (#{agent.pk})")]


def test_a_team_with_incidents_is_not_deleted(admin_user: User, agent: User, service_desk: Team) -> None:
    open_incident(actor=agent, caller=agent, title="VPN down", assignment_group=service_desk)
    spare = create_team(actor=admin_user, slug="spare", name="Spare")
    spare_id = spare.pk

    with pytest.raises(Conflict, match="reassign them"):
        delete_team(service_desk, actor=admin_user)
    delete_team(spare, actor=admin_user)

    assert audit("team", spare_id)[-1] == ("Root", "deleted", "Spare", "")
    assert Team.objects.filter(slug="service-desk").exists()


def test_issuing_and_revoking_a_token_is_audited_once(admin_user: User, agent: User) -> None:
    issued = issue_api_token(agent, name="ci", actor=admin_user)
    revoke_api_token(issued.token, actor=admin_user)
    revoke_api_token(issued.token, actor=admin_user)

    rows = audit("api_token", issued.token.pk)
    assert rows[0] == ("Root", "created", "", f"{issued.token.prefix}… (Alice)")
    assert rows[1][:3] == ("Root", "revoked_at", "")
    assert len(rows) == 2
    assert issued.raw not in str(rows)


def test_a_token_used_is_stamped_without_an_audit_row(agent: User) -> None:
    issued = issue_api_token(agent)
    long_ago = timezone.now() - timedelta(hours=1)
    ApiToken.objects.filter(pk=issued.token.pk).update(last_used_at=long_ago)
    before = AuditRecord.objects.count()

    assert user_for_token(issued.raw) == agent

    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at > long_ago
    assert AuditRecord.objects.count() == before
