"""The shape of a demo topic: per subcategory, who fixes it, where, and what people write.

Each report carries its own diagnosis (a work note) and fix, so a story reads as one case.
Levels are two letters, impact then urgency (``"HM"`` = high impact, medium urgency).
"""

from typing import NamedTuple

from keel.incidents.states import ResolutionCode

R = ResolutionCode  # short, for the tables of reports


class Report(NamedTuple):
    levels: str
    title: str
    description: str
    diagnosis: str
    code: ResolutionCode
    fix: str


class Topic(NamedTuple):
    category: str
    subcategory: str
    group: str  # slug of the team that fixes it
    service: str | None
    cis: tuple[str, ...]
    desk_fixable: bool  # the service desk can solve it while the caller is on the line
    reports: tuple[Report, ...]
    alerts: tuple[Report, ...] = ()  # what monitoring raises about it
