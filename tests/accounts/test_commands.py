"""The keel CLI for people and tokens, run as a user would: the real console script."""

import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from keel.accounts.actions import user_for_token
from keel.accounts.models import Team, User


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
