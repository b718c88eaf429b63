"""Incident hotspots: incidents per CI or per service over a period, with MTTR and MTBF, ranked.

MTTR is the mean time from opened to resolved over the resolved incidents. MTBF is the mean time
between the end (resolution) of one failure and the start of the next on the same CI or service,
the end being the latest resolution among the incidents opened before; when the next one started
before that (the failures overlap) or while an earlier one is still open, the gap counts as zero. Cancelled
incidents (logged in error) are left out. One streamed pass over the period's incidents in
(key, opened) order keeps memory to one row per CI or service, on SQLite and PostgreSQL alike.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Final

from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.models import Incident
from keel.incidents.states import IncidentState
from keel.lib import clock
from keel.lib.errors import InvalidInput

DEFAULT_DAYS: Final = 90
MAX_DAYS: Final = 3 * 366
DEFAULT_LIMIT: Final = 50
# The end of an incident that is still open: whatever opens after it overlaps it.
STILL_FAILING: Final = datetime.max.replace(tzinfo=UTC)


class HotspotBy(StrEnum):
    CI = "ci"
    SERVICE = "service"


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime


@dataclass(frozen=True)
class Hotspot:
    id: int
    name: str
    incidents: int
    open: int
    mttr: timedelta | None
    mtbf: timedelta | None


def parse_period(since: str | None, until: str | None) -> Period:
    """From the start of ``since`` to the end of ``until`` (ISO dates, UTC); the last 90 days by default."""
    end = _midnight(_day(until, "until") + timedelta(days=1)) if until is not None else clock.now()
    start = _midnight(_day(since, "since")) if since is not None else end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise InvalidInput("since must be before until.", field="since")
    if end - start > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"A report covers at most {MAX_DAYS} days; shorten the period.", field="since")
    return Period(since=start, until=end)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def parse_by(raw: str | None) -> HotspotBy:
    """``by`` as given (None: by CI)."""
    given = "ci" if raw is None else raw
    if given not in HotspotBy.__members__.values():
        raise InvalidInput(f"by must be 'ci' or 'service' (got {raw!r}).", field="by")
    return HotspotBy(given)


def hotspots(*, by: HotspotBy, period: Period, limit: int = DEFAULT_LIMIT) -> list[Hotspot]:
    """The CIs (or services) with the most incidents opened in the period, most first, then the shortest MTBF."""
    key = f"{by.value}_id"
    rows = (
        Incident.objects.filter(**{f"{key}__isnull": False}, opened_at__gte=period.since, opened_at__lt=period.until)
        .exclude(state=IncidentState.CANCELLED)
        .order_by(key, "opened_at", "id")
        .values_list(key, "opened_at", "resolved_at")
        .iterator(chunk_size=5_000)
    )
    stats = sorted(_per_key(rows), key=lambda item: (-item.incidents, _or_max(item.mtbf), item.id))[:limit]
    model = ConfigurationItem if by == HotspotBy.CI else Service
    names = dict(model.objects.filter(pk__in=[item.id for item in stats]).values_list("pk", "name"))
    return [
        Hotspot(item.id, names.get(item.id, "?"), item.incidents, item.open, item.mttr, item.mtbf) for item in stats
    ]


@dataclass
class _Tally:
    """Running sums for one CI or service while the rows stream past (in order of opening).

    A gap is measured from the latest end seen so far on the key, not from the incident opened just
    before: a long incident spanning shorter ones keeps the key failing until it ends, and one still
    open keeps it failing now, so whatever opens meanwhile follows with no gap.
    """

    key: int
    count: int = 0
    still_open: int = 0
    repair: timedelta = timedelta()
    repairs: int = 0
    gap: timedelta = timedelta()
    gaps: int = 0
    failing_until: datetime | None = None  # the latest end so far; STILL_FAILING while one is open

    def add(self, opened: datetime, resolved: datetime | None) -> None:
        if self.failing_until is not None:
            self.gap += max(opened - self.failing_until, timedelta())
            self.gaps += 1
        self.count += 1
        if resolved is None:
            self.still_open += 1
        else:
            self.repair += resolved - opened
            self.repairs += 1
        end = STILL_FAILING if resolved is None else resolved
        self.failing_until = end if self.failing_until is None else max(self.failing_until, end)

    def hotspot(self) -> Hotspot:
        return Hotspot(
            id=self.key,
            name="",
            incidents=self.count,
            open=self.still_open,
            mttr=self.repair / self.repairs if self.repairs else None,
            mtbf=self.gap / self.gaps if self.gaps else None,
        )


def _per_key(rows: Iterator[tuple[int, datetime, datetime | None]]) -> Iterator[Hotspot]:
    tally: _Tally | None = None
    for key, opened, resolved in rows:
        if tally is None or tally.key != key:
            if tally is not None:
                yield tally.hotspot()
            tally = _Tally(key)
        tally.add(opened, resolved)
    if tally is not None:
        yield tally.hotspot()


def _or_max(value: timedelta | None) -> timedelta:
    return timedelta.max if value is None else value


def _day(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise InvalidInput(f"{field} must be a date like 2026-11-01 (got {raw!r}).", field=field) from error


def hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 2)
