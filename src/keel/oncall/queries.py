"""Reads of on-call schedules: who is on call (from the schedules kept in memory per process until
one changes, so answering for a thousand schedules costs one small query), their shifts over a
range, and the schedules, layers and overrides as people list and find them."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock
from typing import Final
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from keel.accounts.models import User
from keel.accounts.queries import staff_users
from keel.lib import clock
from keel.lib.errors import NotFound
from keel.lib.references import by_reference
from keel.oncall.models import Layer, Override, Schedule, ScheduleSetVersion, WorkingHours
from keel.oncall.rotation import (
    LayerSpec,
    OverrideSpec,
    ScheduleSpec,
    Shift,
    first_anchor,
    on_call_at,
    shifts,
    stint_at,
)
from keel.sla.business_time import CalendarSpec, day_spans, instant_of, local_date
from keel.sla.calendars import parse_windows, specs_of_versions
from keel.sla.models import CalendarVersion


@dataclass(frozen=True)
class Roster:
    """Every schedule as the maths reads it, by team in tier order, and the people they name."""

    schedules: tuple[ScheduleSpec, ...]
    by_team: Mapping[int, tuple[ScheduleSpec, ...]]
    by_id: Mapping[int, ScheduleSpec]
    people: Mapping[int, User]


@dataclass(frozen=True)
class TierAnswer:
    """Who is on call for one tier of a team: the person (None: nobody) and their stint."""

    schedule: ScheduleSpec
    person: User | None
    stint: Shift | None


_cache: dict[str, tuple[str, Roster]] = {}
_cache_lock: Final = Lock()
_EMPTY: Final = Roster((), {}, {}, {})


def schedule_set_version() -> str:
    return ScheduleSetVersion.objects.filter(pk=1).values_list("stamp", flat=True).first() or ""


def roster() -> Roster:
    """The schedules: one small read per call, and the schedules themselves only when one changed
    since this process last read them. A member who left (deactivated, or no longer staff) leaves
    the rotations when they are next read: the others take turns without them."""
    version = schedule_set_version()
    if not version:
        return _EMPTY  # no schedule was ever written
    cached = _cache.get("roster")
    if cached is not None and cached[0] == version:
        return cached[1]
    built = _build()
    with _cache_lock:
        _cache["roster"] = (version, built)
    return built


def _build() -> Roster:
    rows = list(Schedule.objects.order_by("team_id", "tier", "id"))
    layers: dict[int, list[Layer]] = defaultdict(list)
    for layer in Layer.objects.order_by("-position", "id"):
        layers[layer.schedule_id].append(layer)
    overrides: dict[int, list[Override]] = defaultdict(list)
    for override in Override.objects.order_by("starts_at", "id"):
        overrides[override.schedule_id].append(override)
    named = {pk for group in layers.values() for layer in group for pk in layer.members}
    named |= {override.person_id for group in overrides.values() for override in group}
    people = {person.pk: person for person in staff_users().filter(pk__in=named)}
    specs = tuple(_spec(row, layers[row.pk], overrides[row.pk], people) for row in rows)
    by_team: dict[int, list[ScheduleSpec]] = defaultdict(list)
    for spec in specs:
        by_team[spec.team_id].append(spec)
    return Roster(
        schedules=specs,
        by_team={team: tuple(group) for team, group in by_team.items()},
        by_id={spec.id: spec for spec in specs},
        people=people,
    )


def _spec(
    row: Schedule, layers: Iterable[Layer], overrides: Iterable[Override], people: Mapping[int, User]
) -> ScheduleSpec:
    return ScheduleSpec(
        id=row.pk,
        team_id=row.team_id,
        name=row.name,
        tier=row.tier,
        zone=row.time_zone,
        layers=tuple(layer_spec(layer, zone=row.time_zone, present=people) for layer in layers),
        overrides=tuple(
            OverrideSpec(o.pk, o.person_id, int(o.starts_at.timestamp()), int(o.ends_at.timestamp()))
            for o in overrides
            if o.person_id in people
        ),
    )


def layer_spec(layer: Layer, *, zone: str, present: Mapping[int, object]) -> LayerSpec:
    """The layer as the maths reads it, with only the members still ``present``."""
    restrictions = parse_windows(layer.restrictions)
    return LayerSpec(
        id=layer.pk,
        name=layer.name,
        position=layer.position,
        shift_days=layer.shift_days,
        handoff=layer.handoff_time.hour * 60 + layer.handoff_time.minute,
        anchor=first_anchor(layer.start_date, layer.handoff_weekday),
        members=tuple(pk for pk in layer.members if pk in present),
        restrictions=CalendarSpec(zone=zone, windows=restrictions) if restrictions else None,
    )


# --- who is on call --------------------------------------------------------------------------


def on_call(team_id: int, at: datetime) -> tuple[User, ...]:
    """The people on call for the team at ``at``, primary first (each once); empty: nobody."""
    return on_call_of_teams([team_id], at).get(team_id, ())


def on_call_of_teams(team_ids: Iterable[int], at: datetime) -> dict[int, tuple[User, ...]]:
    """``on_call`` for many teams at once, from one read of the version stamp."""
    current = roster()
    instant = int(at.timestamp())
    answers: dict[int, tuple[User, ...]] = {}
    for team_id in team_ids:
        found = (on_call_at(spec, instant) for spec in current.by_team.get(team_id, ()))
        answers[team_id] = tuple(current.people[pk] for pk in dict.fromkeys(found) if pk is not None)
    return answers


def on_call_by_schedule(at: datetime) -> dict[int, User | None]:
    """Who is on call for every schedule at ``at``, by schedule id."""
    current = roster()
    instant = int(at.timestamp())
    return {
        spec.id: current.people[pk] if (pk := on_call_at(spec, instant)) is not None else None
        for spec in current.schedules
    }


def on_call_tiers(team_id: int, at: datetime) -> list[TierAnswer]:
    """Each of the team's schedules in tier order with who is on call at ``at`` and their stint
    (when it started and when the next handoff is)."""
    current = roster()
    return [_answer(current, spec, int(at.timestamp())) for spec in current.by_team.get(team_id, ())]


def stints_by_schedule(at: datetime) -> dict[int, TierAnswer]:
    """``on_call_tiers`` for every schedule, by schedule id, from one read of the version stamp."""
    current = roster()
    return {spec.id: _answer(current, spec, int(at.timestamp())) for spec in current.schedules}


def _answer(current: Roster, spec: ScheduleSpec, instant: int) -> TierAnswer:
    stint = stint_at(spec, instant)
    return TierAnswer(spec, current.people[stint.person] if stint else None, stint)


def schedule_shifts(schedule_id: int, start: datetime, end: datetime) -> list[tuple[Shift, User]]:
    """The schedule's stints from ``start`` to ``end`` with their people."""
    current = roster()
    spec = current.by_id.get(schedule_id)
    if spec is None:
        return []
    found = shifts(spec, int(start.timestamp()), int(end.timestamp()))
    return [(stint, current.people[stint.person]) for stint in found]


def shifts_of_person(user_id: int, start: datetime, end: datetime) -> list[tuple[ScheduleSpec, Shift]]:
    """Every stint ``user_id`` is on call for, on any schedule, from ``start`` to ``end``, by start."""
    current = roster()
    since, until = int(start.timestamp()), int(end.timestamp())
    mine = [
        (spec, stint)
        for spec in current.schedules
        if _names(spec, user_id)
        for stint in shifts(spec, since, until)
        if stint.person == user_id
    ]
    return sorted(mine, key=lambda pair: (pair[1].start, pair[0].tier, pair[0].id))


def _names(spec: ScheduleSpec, user_id: int) -> bool:
    return any(user_id in layer.members for layer in spec.layers) or any(o.person == user_id for o in spec.overrides)


# --- the records -----------------------------------------------------------------------------


def schedules() -> QuerySet[Schedule]:
    """Every schedule, by team and tier, with its team."""
    return Schedule.objects.select_related("team").order_by("team__name", "tier", "id")


def schedules_of_team(team_id: int) -> QuerySet[Schedule]:
    return schedules().filter(team_id=team_id)


def get_schedule(reference: str | int) -> Schedule:
    """The schedule a URL names (its id or exact name); NotFound otherwise."""
    return by_reference(
        schedules(), reference, key="name", field="id", what="schedule", give="a schedule id or name", missing=NotFound
    )


def schedule_by_reference(reference: str | int) -> Schedule:
    """The schedule a request's ``schedule`` field names (its id or name); InvalidInput otherwise."""
    return by_reference(
        schedules(), reference, key="name", field="schedule", what="schedule", give="a schedule id or name"
    )


def layers() -> QuerySet[Layer]:
    """Every layer, by schedule, highest first."""
    return Layer.objects.select_related("schedule").order_by("schedule__name", "-position", "id")


def layers_of(schedule: Schedule) -> QuerySet[Layer]:
    return layers().filter(schedule=schedule)


def get_layer(reference: str | int) -> Layer:
    """The layer a URL names (its id); NotFound otherwise."""
    return _by_id(layers(), reference, what="layer")


def overrides(*, ending_after: datetime | None = None) -> QuerySet[Override]:
    """Overrides by start (those still to end, by default), with their schedule and person."""
    rows = Override.objects.select_related("schedule", "person").order_by("starts_at", "id")
    return rows.filter(ends_at__gt=ending_after or clock.now())


def overrides_of(schedule: Schedule) -> QuerySet[Override]:
    return overrides().filter(schedule=schedule)


def get_override(reference: str | int) -> Override:
    """The override a URL names (its id), ended or not; NotFound otherwise."""
    return _by_id(Override.objects.select_related("schedule", "person"), reference, what="override")


def _by_id[M: Layer | Override](rows: QuerySet[M], reference: str | int, *, what: str) -> M:
    text = str(reference)
    found = rows.filter(pk=int(text)).first() if text.isascii() and text.isdigit() and int(text) < 2**63 else None
    if found is None:
        raise NotFound(f"No {what} {reference!r}; give {what_article(what)} id.", field="id")
    return found


def what_article(what: str) -> str:
    return f"an {what}" if what[0] in "aeiou" else f"a {what}"


def people_by_id(ids: Iterable[int]) -> dict[int, User]:
    return {person.pk: person for person in User.objects.filter(pk__in=list(ids))}


def off_shift(person_ids: Iterable[int], at: datetime) -> set[int]:
    """Those of the people whose working hours (their calendar's current version) leave out ``at``;
    a person without working hours is never off shift."""
    rows = list(
        WorkingHours.objects.filter(person_id__in=list(person_ids)).values_list(
            "person_id", "calendar_id", "calendar__version"
        )
    )
    if not rows:
        return set()
    versions = dict(
        CalendarVersion.objects.filter(
            Q(*[Q(calendar_id=calendar, number=number) for _, calendar, number in rows], _connector=Q.OR)
        ).values_list("calendar_id", "pk")
    )
    specs = specs_of_versions(list(versions.values()))
    instant = instant_of(at)
    off = set()
    for person, calendar, _ in rows:
        spec = specs[versions[calendar]]
        today = local_date(instant, ZoneInfo(spec.zone))
        # Yesterday's too: a window that closes after midnight (a night shift) reaches into today.
        spans = [*day_spans(spec, today - timedelta(days=1)), *day_spans(spec, today)]
        if not any(start <= instant < end for start, end in spans):
            off.add(person)
    return off
