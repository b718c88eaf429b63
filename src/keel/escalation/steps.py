"""The steps of an escalation policy as plain values: their shape, their checks and their words.

A step is stored as JSON on its policy::

    {"key": "a1b2c3", "when": "sla", "clock": "resolution", "percent": 75,
     "notify": ["group_manager"], "page": false}

- ``when: "no_response"`` fires ``minutes`` after the incident opened while it has no first
  response (work started, a public answer, an acknowledged page); it stops once it has one, or is
  resolved. An assignee alone is not a response: routing assigns the person it pages.
- ``when: "sla"`` fires when the incident's ``clock`` (response or resolution) has used ``percent``
  of its target (100: breached), with the SLA warning or breach that says so; once per clock.
- ``when: "unacknowledged"`` fires ``minutes`` after the incident's first page if nobody has
  acknowledged a page of it (or responded) by then.

``notify`` names whom (``TARGETS``); ``page`` asks them to acknowledge. ``key`` identifies the step
across edits, so an edited step does not fire again where it already fired.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from secrets import token_hex
from typing import Any, Final

from keel.lib.errors import InvalidInput

WHEN: Final[Mapping[str, str]] = {
    "no_response": "nobody has responded",
    "sla": "the SLA is running out",
    "unacknowledged": "nobody acknowledged the page",
}
TARGETS: Final[Mapping[str, str]] = {
    "group_manager": "the group's manager",
    "managers_manager": "the group manager's manager",
    "incident_managers": "the incident managers",
    "on_call": "the person on call",
    "on_call_secondary": "the secondary on call",
}
CLOCKS: Final = ("response", "resolution")
MAX_MINUTES: Final = 7 * 24 * 60


@dataclass(frozen=True)
class Step:
    key: str
    when: str
    notify: tuple[str, ...]
    page: bool = False
    minutes: int = 0
    clock: str = ""
    percent: int = 0

    def moment(self) -> str:
        """When it fires, e.g. "at 75% of the resolution target"."""
        if self.when == "sla":
            if self.percent >= 100:
                return f"at the {self.clock} breach"
            return f"at {self.percent}% of the {self.clock} target"
        if self.when == "no_response":
            return f"no response {self.minutes} min after opening" if self.minutes else "as soon as it is logged"
        return f"page unacknowledged after {self.minutes} min"

    def happened(self) -> str:
        """What the incident went through, for the people told, e.g. "75% of its resolution target is used"."""
        if self.when == "sla":
            if self.percent >= 100:
                return f"Its {self.clock} target is breached"
            return f"{self.percent}% of its {self.clock} target is used"
        if self.when == "no_response":
            return f"No response {self.minutes} min after it was logged" if self.minutes else "It was just logged"
        return f"Nobody acknowledged its page within {self.minutes} min"

    def describe(self) -> str:
        """E.g. "At 75% of the resolution target: notify the group's manager"."""
        whom = ", ".join(TARGETS[target] for target in self.notify)
        moment = self.moment()
        return f"{moment[0].upper()}{moment[1:]}: {'page' if self.page else 'notify'} {whom}"

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "when": self.when, "notify": list(self.notify), "page": self.page}
        if self.when == "sla":
            data |= {"clock": self.clock, "percent": self.percent}
        else:
            data["minutes"] = self.minutes
        return data


def parse_steps(raw: object) -> tuple[Step, ...]:
    """The steps of a policy, checked; InvalidInput naming ``steps`` and what to fix."""
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise InvalidInput("steps must be a list of steps.", field="steps")
    if not raw:
        raise InvalidInput("Give the policy at least one step.", field="steps")
    steps = tuple(_step(item, n) for n, item in enumerate(raw, start=1))
    keys = [step.key for step in steps]
    if len(set(keys)) != len(keys):
        raise InvalidInput("Two steps share a key; leave key out of a new step.", field="steps")
    return steps


def steps_json(steps: Sequence[Step]) -> list[dict[str, Any]]:
    return [step.as_json() for step in steps]


def _step(item: object, n: int) -> Step:
    where = f"Step {n}"
    if not isinstance(item, Mapping):
        raise InvalidInput(f"{where} must be an object with when and notify.", field="steps")
    unknown = sorted(set(item) - {"key", "when", "notify", "page", "minutes", "clock", "percent"})
    if unknown:
        raise InvalidInput(f"{where} has fields steps do not take: {', '.join(map(str, unknown))}.", field="steps")
    when = item.get("when")
    if when not in WHEN:
        raise InvalidInput(f"{where}: when must be one of {', '.join(WHEN)}.", field="steps")
    notify = item.get("notify")
    if not isinstance(notify, Sequence) or isinstance(notify, str) or not notify:
        raise InvalidInput(f"{where}: notify must list whom, from {', '.join(TARGETS)}.", field="steps")
    wrong = [str(target) for target in notify if target not in TARGETS]
    if wrong:
        raise InvalidInput(f"{where}: {', '.join(wrong)} is not one of {', '.join(TARGETS)}.", field="steps")
    page = item.get("page", False)
    if not isinstance(page, bool):
        raise InvalidInput(f"{where}: page must be true or false.", field="steps")
    key = item.get("key") or token_hex(4)
    if not isinstance(key, str) or not key.isalnum() or len(key) > 16:
        raise InvalidInput(
            f"{where}: key must be up to 16 letters and digits (leave it out for a new step).", field="steps"
        )
    targets = tuple(dict.fromkeys(str(target) for target in notify))
    if when == "sla":
        clock, percent = item.get("clock"), item.get("percent")
        if clock not in CLOCKS:
            raise InvalidInput(f"{where}: clock must be response or resolution.", field="steps")
        if not isinstance(percent, int) or isinstance(percent, bool) or not 1 <= percent <= 100:
            raise InvalidInput(
                f"{where}: percent must be a whole number from 1 to 100 (100: the breach).", field="steps"
            )
        return Step(key=key, when=when, notify=targets, page=page, clock=str(clock), percent=percent)
    minutes = item.get("minutes", 0)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"{where}: minutes must be a whole number from 0 to {MAX_MINUTES}.", field="steps")
    if when == "unacknowledged" and minutes < 1:
        raise InvalidInput(f"{where}: give the minutes a page may wait, at least 1.", field="steps")
    return Step(key=key, when=str(when), notify=targets, page=page, minutes=minutes)


@dataclass(frozen=True)
class PolicySpec:
    """A policy as the sweep reads it."""

    id: int
    name: str
    priorities: frozenset[int]
    group_ids: frozenset[int]
    channels: frozenset[str]
    steps: tuple[Step, ...]
