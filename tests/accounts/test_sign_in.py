"""Session sign-in for the console, with lockout after repeated failures."""

from keel.accounts.models import User
from tests.conftest import PASSWORD


def _sign_in(client, password):
    return client.post("/sign-in/", {"username": "alice", "password": password})


def test_sign_in_with_the_right_password_opens_a_session(client, agent):
    response = _sign_in(client, PASSWORD)

    assert response.status_code == 302
    assert client.get("/incidents/").status_code == 200


def test_wrong_password_says_so_and_keeps_the_user_out(client, agent):
    response = _sign_in(client, "wrong")

    assert response.status_code == 400
    assert "do not match" in response.content.decode()
    assert client.get("/incidents/").status_code == 302


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, agent, settings):
    settings.KEEL_SIGN_IN_MAX_FAILURES = 3
    for _ in range(3):
        _sign_in(client, "wrong")

    response = _sign_in(client, PASSWORD)

    assert response.status_code == 400
    assert "locked" in response.content.decode()
    assert User.objects.get(pk=agent.pk).locked_until is not None


def test_success_resets_the_failure_count(client, agent):
    _sign_in(client, "wrong")
    _sign_in(client, PASSWORD)

    assert User.objects.get(pk=agent.pk).failed_sign_ins == 0


def test_sign_in_does_not_redirect_off_site(client, agent):
    response = client.post("/sign-in/?next=https://evil.example/", {"username": "alice", "password": PASSWORD})

    assert response["Location"] == "/"


def test_sign_out_is_post_only(client, agent):
    client.force_login(agent)

    assert client.get("/sign-out/").status_code == 405
    assert client.post("/sign-out/").status_code == 302
    assert client.get("/incidents/").status_code == 302
