"""Console sign-in: throttled per username and address, per address, and per username (a sliding
window, in the database so every web process shares it), never a lock anyone can put on an account
by typing its name; one answer for an unknown user, a wrong password and a throttled attempt; and
sessions that end when left unused, extended while used."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from keel.accounts.actions import forget_expired_sessions, forget_old_sign_in_failures
from keel.accounts.models import SignInFailure, User
from keel.accounts.throttling import Counter, counter_keys
from keel.accounts.views import REFUSED
from keel.lib.clock import frozen_at
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HOME, AWAY, ELSEWHERE = "192.0.2.10", "198.51.100.7", "203.0.113.99"


@pytest.fixture
def limits(settings: Any) -> Any:
    settings.KEEL_SIGN_IN_WINDOW_MINUTES = 15
    settings.KEEL_SIGN_IN_FAILURES_PER_USERNAME_AND_ADDRESS = 3
    settings.KEEL_SIGN_IN_FAILURES_PER_ADDRESS = 5
    settings.KEEL_SIGN_IN_FAILURES_PER_USERNAME = 8
    return settings


def attempt(username: str, password: str, *, address: str = HOME, client: Client | None = None) -> Any:
    return (client or Client()).post("/sign-in/", {"username": username, "password": password}, REMOTE_ADDR=address)


def refused(answer: Any) -> bool:
    return answer.status_code == 400 and REFUSED in answer.content.decode()


def error_of(answer: Any) -> tuple[int, str]:
    """The status and the error the page shows (the rest differs by its CSRF token)."""
    found = re.search(r'<div class="error-summary".*?</div>', answer.content.decode(), re.DOTALL)
    assert found is not None
    return answer.status_code, found.group()


def test_the_right_password_opens_a_session(agent: User) -> None:
    client = Client()

    answer = attempt("alice", PASSWORD, client=client)

    assert answer.status_code == 302
    assert client.get("/incidents/").status_code == 200


def test_unknown_wrong_and_throttled_get_the_same_answer(agent: User, limits: Any) -> None:
    unknown = attempt("nobody", "whatever")
    wrong = attempt("alice", "wrong")
    for _ in range(2):
        attempt("alice", "wrong")
    throttled = attempt("alice", PASSWORD)

    assert (refused(unknown), refused(wrong), refused(throttled)) == (True, True, True)
    assert error_of(unknown) == error_of(wrong) == error_of(throttled)


def test_a_username_from_one_address_waits_until_failures_slide_out_of_the_window(agent: User, limits: Any) -> None:
    start = timezone.now()
    for minute in range(3):
        with frozen_at(start + timedelta(minutes=minute)):
            attempt("alice", "wrong")

    with frozen_at(start + timedelta(minutes=14)):
        still = attempt("alice", PASSWORD)
    with frozen_at(start + timedelta(minutes=15, seconds=1)):
        one_slid_out = attempt("alice", PASSWORD)

    assert refused(still)
    assert one_slid_out.status_code == 302


def test_nobody_can_lock_someone_out_by_typing_their_name(agent: User, limits: Any) -> None:
    for _ in range(10):
        attempt("alice", "guess", address=AWAY)

    from_home = attempt("alice", PASSWORD, address=HOME)
    from_away = attempt("alice", PASSWORD, address=AWAY)

    assert from_home.status_code == 302  # the attacker's address used up its own allowance only
    assert refused(from_away)


def test_one_address_trying_many_usernames_is_throttled(agent: User, limits: Any) -> None:
    for number in range(5):
        attempt(f"user{number}", "guess", address=AWAY)

    own_password = attempt("alice", PASSWORD, address=AWAY)
    elsewhere = attempt("alice", PASSWORD, address=ELSEWHERE)

    assert refused(own_password)
    assert elsewhere.status_code == 302


def test_many_addresses_trying_one_username_are_throttled(agent: User, limits: Any) -> None:
    for number in range(8):
        attempt("alice", "guess", address=f"10.0.0.{number}")

    assert refused(attempt("alice", PASSWORD, address=ELSEWHERE))


def test_a_throttled_attempt_counts_nothing_more_and_success_forgets_its_own_failures(agent: User, limits: Any) -> None:
    for _ in range(5):
        attempt("alice", "wrong")
    pair = counter_keys("alice", HOME)[Counter.PAIR]
    counted = SignInFailure.objects.filter(key=pair).count()
    attempt("alice", "wrong", address=ELSEWHERE)
    attempt("alice", PASSWORD, address=ELSEWHERE)

    assert counted == 3
    assert not SignInFailure.objects.filter(key=counter_keys("alice", ELSEWHERE)[Counter.PAIR]).exists()


def test_keys_are_not_readable(agent: User, limits: Any) -> None:
    attempt("my-secret-password", "oops")

    keys = list(SignInFailure.objects.values_list("key", flat=True))
    assert len(keys) == 3
    assert all(len(key) == 64 and "secret" not in key and HOME not in key for key in keys)


def test_the_client_address_behind_a_proxy(agent: User, limits: Any) -> None:
    limits.KEEL_TRUSTED_PROXIES = 1
    forged = {"HTTP_X_FORWARDED_FOR": f"{HOME}, {AWAY}"}  # the client wrote HOME; the proxy appended AWAY
    for _ in range(3):
        Client().post("/sign-in/", {"username": "alice", "password": "x"}, REMOTE_ADDR="10.1.1.1", **forged)

    from_home = Client().post(
        "/sign-in/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=HOME
    )

    assert from_home.status_code == 302
    assert SignInFailure.objects.filter(key=counter_keys("alice", AWAY)[Counter.PAIR]).count() == 3


def test_old_failures_are_forgotten(agent: User, limits: Any) -> None:
    start = timezone.now()
    with frozen_at(start):
        attempt("alice", "wrong")
    with frozen_at(start + timedelta(minutes=10)):
        attempt("alice", "wrong")

    with frozen_at(start + timedelta(minutes=16)):
        forgotten = forget_old_sign_in_failures()

    assert (forgotten, SignInFailure.objects.count()) == (3, 3)


# --- sessions ------------------------------------------------------------------------------


def session_of(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies["sessionid"].value)


def test_a_session_left_unused_ends(agent: User, settings: Any) -> None:
    settings.SESSION_COOKIE_AGE = 30 * 60
    client = Client()
    attempt("alice", PASSWORD, client=client)
    expiry = session_of(client).expire_date

    Session.objects.filter(pk=session_of(client).pk).update(expire_date=timezone.now() - timedelta(seconds=1))

    assert timedelta(minutes=29) < expiry - timezone.now() <= timedelta(minutes=30)
    assert client.get("/incidents/").status_code == 302
    forget_expired_sessions()
    assert not Session.objects.exists()


def test_a_session_in_use_is_extended(agent: User, settings: Any) -> None:
    settings.SESSION_COOKIE_AGE = 30 * 60
    client = Client()
    attempt("alice", PASSWORD, client=client)
    about_to_end = timezone.now() + timedelta(seconds=20)
    Session.objects.filter(pk=session_of(client).pk).update(expire_date=about_to_end)

    with frozen_at(timezone.now() + timedelta(minutes=2)):
        used = client.get("/incidents/")

    assert used.status_code == 200
    assert session_of(client).expire_date - timezone.now() > timedelta(minutes=29)


def test_sign_in_does_not_redirect_off_site(agent: User) -> None:
    response = Client().post("/sign-in/?next=https://evil.example/", {"username": "alice", "password": PASSWORD})

    assert response["Location"] == "/"


def test_sign_out_is_post_only(client: Client, agent: User) -> None:
    client.force_login(agent)

    assert client.get("/sign-out/").status_code == 405
    assert client.post("/sign-out/").status_code == 302
    assert client.get("/incidents/").status_code == 302
