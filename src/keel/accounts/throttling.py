"""Sign-in throttling, as rules: which counters a failed sign-in adds to, and how many failures
each may hold in the sliding window before sign-ins under it wait.

Three counters, so that nobody can lock another person out by typing their username: the pair
(this username from this address) is tight, what one wrong password or a forgotten one reaches; the
address alone is wider (one machine trying many usernames); the username alone is the widest (many
machines trying one account), beyond what one address can reach on its own. A failure older than
the window no longer counts: the window slides, there is no lock to lift. The counters live in the
database, so every web process and host shares them.

Keys are keyed hashes: a username typed by mistake is sometimes a password, and nothing readable is kept.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Final

from django.conf import settings
from django.utils.crypto import salted_hmac

_SALT: Final = "keel.accounts.throttling"


class Counter(StrEnum):
    PAIR = "pair"
    ADDRESS = "address"
    USERNAME = "username"


@dataclass(frozen=True)
class Limits:
    window: timedelta
    failures: Mapping[Counter, int]


def limits() -> Limits:
    """The limits as configured (``KEEL_SIGN_IN_*``), read on each use so a test or an operator's change applies."""
    return Limits(
        window=timedelta(minutes=settings.KEEL_SIGN_IN_WINDOW_MINUTES),
        failures={
            Counter.PAIR: settings.KEEL_SIGN_IN_FAILURES_PER_USERNAME_AND_ADDRESS,
            Counter.ADDRESS: settings.KEEL_SIGN_IN_FAILURES_PER_ADDRESS,
            Counter.USERNAME: settings.KEEL_SIGN_IN_FAILURES_PER_USERNAME,
        },
    )


def counter_keys(username: str, address: str) -> dict[Counter, str]:
    """The key of each counter a sign-in as ``username`` from ``address`` is measured by."""
    name = username.strip().casefold()
    values = {Counter.PAIR: f"{name}\n{address}", Counter.ADDRESS: address, Counter.USERNAME: name}
    return {
        counter: salted_hmac(_SALT, f"{counter}:{value}", algorithm="sha256").hexdigest()
        for counter, value in values.items()
    }


def over_limit(failures: Mapping[Counter, int], limits: Limits) -> bool:
    """Whether any counter holds as many failures as its limit allows (the next attempt waits)."""
    return any(failures.get(counter, 0) >= most for counter, most in limits.failures.items())
