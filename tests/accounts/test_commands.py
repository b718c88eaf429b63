"""The keel CLI for people and tokens, run as a user would: the real console script."""

import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from keel.accounts.actions import issue_api_token, user_for_token
from keel.accounts.models import ApiToken, Team, User
from keel.audit.models import AuditRecord
from keel.lib.doors import Door, entering


def test_user_create_makes_the_team_when_missing(db):
    call_command(
        "user", "create", "carol", "--role", "resolver", "--team", "dba", "--email", "c@example.com", "--no-password"
    )

    carol = User.objects.get(username="carol")
    assert (carol.role, carol.email, carol.has_usable_password()) == ("resolver", "c@example.com", False)
    assert list(Team.objects.get(slug="dba").members.all()) == [carol]


def test_user_create_refuses_a_duplicate(db):
    call_command("user", "create", "carol", "--role", "agent", "--no-password")

    with pytest.raises(CommandError, match="already exists"):
        call_command("user", "create", "carol", "--role", "agent", "--no-password")


def test_user_create_refuses_an_unknown_time_zone_free_role(db):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("user", "create", "carol", "--role", "wizard", "--no-password")


def test_token_create_prints_a_working_token_last(db, capsys):
    call_command("user", "create", "carol", "--role", "agent", "--no-password")

    call_command("token", "create", "carol")

    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert user_for_token(last_line) == User.objects.get(username="carol")


def test_token_create_for_an_unknown_user_fails_clearly(db):
    with pytest.raises(CommandError, match="No active user"):
        call_command("token", "create", "ghost")


def test_console_script_runs_without_a_terminal(tmp_path):
    env = {**os.environ, "KEEL_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    keel = [sys.executable, "-m", "keel.cli"]
    subprocess.run([*keel, "migrate", "-v0"], env=env, check=True, stdin=subprocess.DEVNULL)

    created = subprocess.run(
        [*keel, "user", "create", "dave", "--role", "agent", "--team", "service-desk"],
        env=env,
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    token = subprocess.run(
        [*keel, "token", "create", "dave"],
        env=env,
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )

    assert "Created dave" in created.stdout
    assert token.stdout.strip().splitlines()[-1].startswith("keel_")


def test_token_list_shows_each_token_by_prefix_without_its_value(db, capsys):
    call_command("user", "create", "carol", "--role", "agent", "--no-password")
    call_command("user", "create", "dave", "--role", "agent", "--no-password")
    call_command("token", "create", "carol", "--name", "ci")
    call_command("token", "create", "dave")
    raw = capsys.readouterr().out.strip().splitlines()[-1]

    call_command("token", "list")
    everyone = capsys.readouterr().out.splitlines()
    call_command("token", "list", "dave")
    daves = capsys.readouterr().out.splitlines()

    assert everyone[0].split() == ["PREFIX", "USER", "NAME", "CREATED", "LAST", "USED", "REVOKED"]
    assert [line.split()[1:3] for line in everyone[1:]] == [["carol", "ci"], ["dave", "-"]]
    assert [line.split()[0] for line in daves[1:]] == [f"{raw[:12]}…"]
    assert raw not in "".join(everyone)


def test_token_list_of_an_unknown_user_fails_clearly(db):
    with pytest.raises(CommandError, match="No user 'ghost'"):
        call_command("token", "list", "ghost")


def test_token_revoke_stops_the_token_and_is_audited(db, capsys):
    call_command("user", "create", "carol", "--role", "agent", "--no-password")
    call_command("token", "create", "carol")
    raw = capsys.readouterr().out.strip().splitlines()[-1]

    with entering(Door.CLI):
        call_command("token", "revoke", f"{raw[:12]}…")  # as the list shows it
        call_command("token", "revoke", raw)
    said = capsys.readouterr().out.splitlines()

    token = ApiToken.objects.get(prefix=raw[:12])
    assert user_for_token(raw) is None
    assert said[0] == f"Revoked {raw[:12]}… of carol; it no longer opens the API."
    assert said[1].startswith(f"{raw[:12]}… of carol was revoked already")
    rows = AuditRecord.objects.filter(subject_type="api_token", subject_id=token.pk, field="revoked_at")
    assert list(rows.values_list("channel", "actor")) == [(Door.CLI, None)]


def test_token_revoke_of_an_unknown_prefix_fails_clearly(db):
    with pytest.raises(CommandError, match="No token 'keel_nothing'; 'keel token list' shows"):
        call_command("token", "revoke", "keel_nothing")


def test_token_revoke_refuses_a_prefix_two_tokens_share(agent):
    first, second = issue_api_token(agent), issue_api_token(agent)
    ApiToken.objects.filter(pk=second.token.pk).update(prefix=first.token.prefix)

    with pytest.raises(CommandError, match="2 tokens start with"):
        call_command("token", "revoke", first.token.prefix)

    assert user_for_token(first.raw) == agent
