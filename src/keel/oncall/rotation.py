"""Who is on call: pure functions over a schedule's plain definition and UTC instants.

An instant is an ``int`` of seconds since the Unix epoch (as in ``sla.business_time``); every span
is half-open ``[start, end)``. A layer's shift ``k`` starts at the handoff time on the anchor date
plus ``k × shift_days`` local days, mapped to an instant by ``business_time.to_instant`` (B3: a wall
time the zone skips maps to the first instant its clock reads that time or later), so a daily 09:00
handoff stays at 09:00 local across daylight-saving changes and that day's shift lasts 23 or 25 hours.

Precedence at an instant: an override (the latest added, where several overlap), else the
highest-positioned layer that has someone (a layer has nobody before its first handoff, without
members, or outside its restrictions), else nobody.
"""

import itertools
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Final
from zoneinfo import ZoneInfo

from keel.sla.business_time import CalendarSpec, Span, day_spans, local_date, to_instant, working_spans

DAY: Final = 86400
# How far around an instant the composed timeline is built to find the stint holding it: longer
# than any shift (28 days), so a stint found inside it is whole unless an override reaches further.
REACH: Final = 29 * DAY


@dataclass(frozen=True, eq=False)
class LayerSpec:
    """A rotation as the maths reads it. ``anchor`` is the date of the first handoff (a weekly
    rotation's first handoff weekday on or after its start date); ``handoff`` is minutes after local
    midnight; ``members`` are person ids in turn order; ``restrictions`` a calendar of the hours
    the layer covers (None: all the time)."""

    id: int
    name: str
    position: int
    shift_days: int
    handoff: int
    anchor: date
    members: tuple[int, ...]
    restrictions: CalendarSpec | None = None
    # The shift last found (index, start, end): the next question is most often about the same one.
    _last: list[tuple[int, int, int]] = field(default_factory=list, repr=False)
    # The first handoff's instant, by zone (it never changes).
    _first: dict[str, int] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class OverrideSpec:
    id: int
    person: int
    start: int
    end: int


@dataclass(frozen=True, eq=False)
class ScheduleSpec:
    """A schedule as the maths reads it: layers highest first, overrides by start."""

    id: int
    team_id: int
    name: str
    tier: int
    zone: str
    layers: tuple[LayerSpec, ...]
    overrides: tuple[OverrideSpec, ...] = ()

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


@dataclass(frozen=True)
class Shift:
    """A person on call from ``start`` to ``end``: by an override (``layer_id`` None) or a layer."""

    person: int
    start: int
    end: int
    source: str
    layer_id: int | None = None


def first_anchor(start: date, weekday: int | None) -> date:
    """The date of a rotation's first handoff: ``start``, or for a weekly rotation the first
    ``weekday`` (0 Monday) on or after it."""
    if weekday is None:
        return start
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def shift_start(layer: LayerSpec, tz: ZoneInfo, index: int) -> int:
    """The instant shift ``index`` of the layer begins (its handoff, local wall clock)."""
    day = layer.anchor + timedelta(days=index * layer.shift_days)
    wall = datetime.combine(day, time(layer.handoff // 60, layer.handoff % 60))
    return to_instant(wall, tz)


def shift_at(layer: LayerSpec, tz: ZoneInfo, instant: int) -> tuple[int, int, int] | None:
    """(index, start, end) of the rotation's shift holding ``instant``; None before the first."""
    if layer._last:
        index, start, end = layer._last[0]
        if start <= instant < end:
            return index, start, end
    first = layer._first.get(tz.key)
    if first is None:
        first = layer._first[tz.key] = shift_start(layer, tz, 0)
    if instant < first:
        return None
    anchor_wall = datetime.combine(layer.anchor, time(layer.handoff // 60, layer.handoff % 60))
    wall = datetime.fromtimestamp(instant, tz).replace(tzinfo=None)
    # Wall-clock arithmetic lands on the right shift but for an hour around a change; the walk fixes it.
    index = max(0, (wall - anchor_wall) // timedelta(days=layer.shift_days))
    start = shift_start(layer, tz, index)
    while index > 0 and start > instant:
        index -= 1
        start = shift_start(layer, tz, index)
    end = shift_start(layer, tz, index + 1)
    while end <= instant:
        index, start, end = index + 1, end, shift_start(layer, tz, index + 2)
    layer._last[:] = [(index, start, end)]
    return index, start, end


def restricted_span_at(restrictions: CalendarSpec, instant: int) -> Span | None:
    """The restriction window holding ``instant`` (a window opening the day before may reach it)."""
    today = local_date(instant, restrictions.tz)
    for day in (today - timedelta(days=1), today):
        for start, end in day_spans(restrictions, day):
            if start <= instant < end:
                return start, end
    return None


def layer_at(layer: LayerSpec, tz: ZoneInfo, instant: int) -> Shift | None:
    """Who the layer has at ``instant``, in the piece of their shift that its restrictions allow."""
    if not layer.members:
        return None
    window = None
    if layer.restrictions is not None:  # first: outside its hours (cached by day) is the cheaper no
        window = restricted_span_at(layer.restrictions, instant)
        if window is None:
            return None
    found = shift_at(layer, tz, instant)
    if found is None:
        return None
    index, start, end = found
    if window is not None:
        start, end = max(start, window[0]), min(end, window[1])
    return Shift(layer.members[index % len(layer.members)], start, end, layer.name, layer.id)


def override_at(overrides: Sequence[OverrideSpec], instant: int) -> OverrideSpec | None:
    """The override holding ``instant``: the latest added among those that overlap."""
    if not overrides:
        return None
    holding = [o for o in overrides[: bisect_right([o.start for o in overrides], instant)] if instant < o.end]
    return max(holding, key=lambda o: o.id) if holding else None


def on_call_at(schedule: ScheduleSpec, instant: int) -> int | None:
    """The person on call for the schedule at ``instant``; None: nobody."""
    override = override_at(schedule.overrides, instant)
    if override is not None:
        return override.person
    tz = schedule.tz
    for layer in schedule.layers:
        shift = layer_at(layer, tz, instant)
        if shift is not None:
            return shift.person
    return None


# --- shifts over a range ---------------------------------------------------------------------


def layer_shifts(layer: LayerSpec, tz: ZoneInfo, start: int, end: int) -> Iterator[Shift]:
    """The layer's shifts within ``[start, end)``, cut to its restrictions."""
    if not layer.members or end <= start:
        return
    found = shift_at(layer, tz, start)
    index = found[0] if found is not None else 0
    while (begins := shift_start(layer, tz, index)) < end:
        ends = shift_start(layer, tz, index + 1)
        person = layer.members[index % len(layer.members)]
        piece = (max(begins, start), min(ends, end))
        for open_, close in _within(layer.restrictions, piece):
            yield Shift(person, open_, close, layer.name, layer.id)
        index += 1


def _within(restrictions: CalendarSpec | None, piece: Span) -> Iterator[Span]:
    start, end = piece
    if end <= start:
        return
    if restrictions is None:
        yield piece
        return
    for open_, close in working_spans(((0, restrictions),), start):
        if open_ >= end:
            return
        yield open_, min(close, end)


def shifts(schedule: ScheduleSpec, start: int, end: int) -> list[Shift]:
    """Who is on call from ``start`` to ``end``, as consecutive stints: each a piece of one layer
    shift or one override that wins over the others there; gaps where nobody is."""
    tz = schedule.tz
    # Ranked: overrides above layers (the latest added first), layers by position.
    ranked: list[tuple[tuple[int, int], Shift]] = [
        ((2, o.id), Shift(o.person, max(o.start, start), min(o.end, end), "override"))
        for o in schedule.overrides
        if o.start < end and o.end > start
    ]
    for rank, layer in enumerate(reversed(schedule.layers)):
        ranked.extend(((1, rank), shift) for shift in layer_shifts(layer, tz, start, end))
    cuts = sorted({point for _, shift in ranked for point in (shift.start, shift.end)})
    ranked.sort(key=lambda item: item[0], reverse=True)
    stints: list[Shift] = []
    winner_of_last: Shift | None = None
    for left, right in itertools.pairwise(cuts):
        winner = next((shift for _, shift in ranked if shift.start <= left and right <= shift.end), None)
        if winner is None:
            winner_of_last = None
            continue
        if winner is winner_of_last and stints and stints[-1].end == left:
            stints[-1] = Shift(winner.person, stints[-1].start, right, winner.source, winner.layer_id)
        else:
            stints.append(Shift(winner.person, left, right, winner.source, winner.layer_id))
        winner_of_last = winner
    return stints


def stint_at(schedule: ScheduleSpec, instant: int) -> Shift | None:
    """The whole stint holding ``instant`` (its start and end as the timeline shows them)."""
    start, end = instant - REACH, instant + REACH
    for override in schedule.overrides:
        if override.start <= instant < override.end:
            start, end = min(start, override.start), max(end, override.end)
    return next((stint for stint in shifts(schedule, start, end) if stint.start <= instant < stint.end), None)
