"""Writes on on-call schedules, their layers and overrides, through the API, the console and the
admin alike: each checked as the whole record would be stored, audited field by field, and the
schedules' version stamped anew in the same transaction, so every process reads them again."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from uuid import uuid4

from django.db import transaction

from keel.accounts.models import Team, User
from keel.accounts.queries import staff_users
from keel.audit.actions import create_audited, delete_audited, update_audited
from keel.lib.conditional import IfMatch
from keel.lib.errors import Conflict, InvalidInput, NotAllowed
from keel.lib.names import claiming_name, refuse_taken_name
from keel.oncall.models import Layer, Override, Rotation, Schedule, ScheduleSetVersion, WorkingHours
from keel.oncall.permissions import can_manage_oncall
from keel.sla.business_time import CalendarError, CalendarSpec, check_zone, validate
from keel.sla.calendars import parse_windows, windows_json
from keel.sla.models import Calendar

SCHEDULE_SUBJECT: Final = "oncall_schedule"
LAYER_SUBJECT: Final = "oncall_layer"
OVERRIDE_SUBJECT: Final = "oncall_override"
SCHEDULE_FIELDS: Final = ("team", "name", "time_zone", "tier", "description")
LAYER_FIELDS: Final = (
    *("schedule", "name", "position", "rotation", "shift_days", "handoff_time", "handoff_weekday", "start_date"),
    *("members", "restrictions"),
)
OVERRIDE_FIELDS: Final = ("schedule", "person", "starts_at", "ends_at", "note")
# A layer or an override stays with its schedule: to move one, add it to the other schedule.
LAYER_CHANGES: Final = LAYER_FIELDS[1:]
OVERRIDE_CHANGES: Final = OVERRIDE_FIELDS[1:]
SHIFT_DAYS: Final = {Rotation.DAILY: 1, Rotation.WEEKLY: 7}
MOST_SHIFT_DAYS: Final = 28
LONGEST_OVERRIDE: Final = timedelta(days=366)
# Rotations are anchored and overrides placed in this century: a date outside it is a typing error.
YEARS: Final = (2000, 2099)
MANAGERS_ONLY: Final = "Only incident managers and administrators manage on-call schedules."


# --- schedules -------------------------------------------------------------------------------


def create_schedule(*, actor: User | None, fields: Mapping[str, Any]) -> Schedule:
    """Add a team's schedule for one tier (``team``, ``name``, ``time_zone``, ``tier``, ``description``)."""
    _check_may_manage(actor)
    _refuse_unknown(fields, SCHEDULE_FIELDS)
    schedule = Schedule(**fields)
    check_schedule(schedule)
    refuse_taken_name(Schedule.objects.all(), schedule.name, what="schedule")
    with claiming_name("schedule", schedule.name), transaction.atomic():
        create_audited(schedule, subject_type=SCHEDULE_SUBJECT, actor=actor)
        _stamp()
    return schedule


def update_schedule(
    schedule: Schedule, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> Schedule:
    """Change these fields, checked as the whole schedule would be stored; nothing changed is a no-op."""
    _check_may_manage(actor)
    _refuse_unknown(changes, SCHEDULE_FIELDS)
    candidate = Schedule(pk=schedule.pk, **{**{n: getattr(schedule, n) for n in SCHEDULE_FIELDS}, **changes})
    check_schedule(candidate)
    checked = {name: getattr(candidate, name) for name in changes}
    if "name" in checked:
        refuse_taken_name(Schedule.objects.all(), candidate.name, what="schedule", but=schedule.pk)
    with claiming_name("schedule", candidate.name), transaction.atomic():
        changed = update_audited(
            schedule, checked, subject_type=SCHEDULE_SUBJECT, actor=actor, allowed=SCHEDULE_FIELDS, if_match=if_match
        )
        if changed:
            _stamp()
    return schedule


def delete_schedule(schedule: Schedule, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    """Remove the schedule with its layers and overrides (each removal audited)."""
    _check_may_manage(actor)
    with transaction.atomic():
        for layer in Layer.objects.filter(schedule=schedule):
            delete_audited(layer, subject_type=LAYER_SUBJECT, actor=actor, refusal="")
        for override in Override.objects.filter(schedule=schedule):
            delete_audited(override, subject_type=OVERRIDE_SUBJECT, actor=actor, refusal="")
        delete_audited(
            schedule, subject_type=SCHEDULE_SUBJECT, actor=actor, refusal=f"{schedule} is in use.", if_match=if_match
        )
        _stamp()


def check_schedule(schedule: Schedule) -> None:
    """Normalise the schedule in place; InvalidInput naming the field when it cannot be stored."""
    schedule.name = " ".join(str(schedule.name or "").split())
    if not schedule.name:
        raise InvalidInput("Give the schedule a name, e.g. 'Network primary'.", field="name")
    if not isinstance(getattr(schedule, "team", None), Team):
        raise InvalidInput("Give the team (assignment group) the schedule is for.", field="team")
    schedule.time_zone = str(schedule.time_zone or "").strip()
    try:
        check_zone(schedule.time_zone)
    except CalendarError as error:
        raise InvalidInput(error.message, field="time_zone") from error
    tier = schedule.tier
    if not isinstance(tier, int) or isinstance(tier, bool) or not 1 <= tier <= 9:
        raise InvalidInput("tier must be a whole number from 1 (primary) to 9.", field="tier")
    taken = Schedule.objects.filter(team=schedule.team, tier=tier).exclude(pk=schedule.pk).first()
    if taken is not None:
        raise Conflict(
            f"{schedule.team} has a tier {tier} schedule already ({taken.name}); give another tier.", field="tier"
        )


# --- layers ----------------------------------------------------------------------------------


def create_layer(*, actor: User | None, fields: Mapping[str, Any]) -> Layer:
    """Add a rotation layer to a schedule (``LAYER_FIELDS``; the others take their defaults)."""
    _check_may_manage(actor)
    _refuse_unknown(fields, LAYER_FIELDS)
    layer = Layer(**fields)
    check_layer(layer)
    with transaction.atomic():
        create_audited(layer, subject_type=LAYER_SUBJECT, actor=actor)
        _stamp()
    return layer


def update_layer(
    layer: Layer, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> Layer:
    """Change these fields of the layer, checked as the whole layer would be stored."""
    _check_may_manage(actor)
    _refuse_unknown(changes, LAYER_CHANGES, moved="A layer stays with its schedule; add one to the other schedule.")
    candidate = Layer(pk=layer.pk, **{**{n: getattr(layer, n) for n in LAYER_FIELDS}, **changes})
    check_layer(candidate)
    # What the check derived (a rotation's shift length and weekday) changes along.
    derived = {"shift_days", "handoff_weekday"} if "rotation" in changes or "start_date" in changes else set()
    checked = {name: getattr(candidate, name) for name in {*changes, *derived}}
    with transaction.atomic():
        changed = update_audited(
            layer, checked, subject_type=LAYER_SUBJECT, actor=actor, allowed=LAYER_CHANGES, if_match=if_match
        )
        if changed:
            _stamp()
    return layer


def delete_layer(layer: Layer, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    """Remove the layer: lower layers show through where it had someone."""
    _check_may_manage(actor)
    with transaction.atomic():
        delete_audited(layer, subject_type=LAYER_SUBJECT, actor=actor, refusal="", if_match=if_match)
        _stamp()


def check_layer(layer: Layer) -> None:
    """Normalise the layer in place (a daily or weekly rotation's shift length, a weekly one's
    handoff weekday); InvalidInput naming the field when it cannot be stored as it is."""
    if getattr(layer, "schedule_id", None) is None:
        raise InvalidInput("Give the schedule the layer belongs to.", field="schedule")
    layer.name = " ".join(str(layer.name or "").split())
    if not layer.name:
        raise InvalidInput("Give the layer a name, e.g. 'Weekly'.", field="name")
    taken = Layer.objects.filter(schedule_id=layer.schedule_id, name=layer.name).exclude(pk=layer.pk).exists()
    if taken:
        raise Conflict(f"The schedule has a layer named {layer.name!r} already; give another name.", field="name")
    _check_whole(layer.position, "position", low=0, high=2**31 - 1)
    if layer.rotation not in Rotation.values:
        raise InvalidInput(f"rotation must be one of {', '.join(Rotation.values)}.", field="rotation")
    layer.handoff_time = _time(layer.handoff_time)
    layer.start_date = _date(layer.start_date)
    if not YEARS[0] <= layer.start_date.year <= YEARS[1]:
        raise InvalidInput("start_date must be in the years 2000–2099.", field="start_date")
    if layer.rotation in SHIFT_DAYS:
        layer.shift_days = SHIFT_DAYS[Rotation(layer.rotation)]
    _check_whole(layer.shift_days, "shift_days", low=1, high=MOST_SHIFT_DAYS)
    if layer.rotation == Rotation.WEEKLY:
        if layer.handoff_weekday is None:
            layer.handoff_weekday = layer.start_date.weekday()
        _check_whole(layer.handoff_weekday, "handoff_weekday", low=0, high=6)
    else:
        layer.handoff_weekday = None
    layer.members = _members(layer.members)
    layer.restrictions = _restrictions(layer.restrictions, zone=layer.schedule.time_zone)


def _members(value: object) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(
        isinstance(pk, int) and not isinstance(pk, bool) and pk > 0 for pk in value
    ):
        raise InvalidInput("members must be a list of user ids, in the order they take turns.", field="members")
    found = set(staff_users().filter(pk__in=value).values_list("pk", flat=True))
    missing = [pk for pk in value if pk not in found]
    if missing:
        raise InvalidInput(
            f"members: user #{missing[0]} is not an active member of IT staff; only staff can be on call.",
            field="members",
        )
    return list(value)


def _restrictions(value: object, *, zone: str) -> list[dict[str, Any]]:
    if not value:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(item, Mapping) for item in value):
        raise InvalidInput(
            'restrictions must be a list of windows, e.g. [{"weekday": "mon", "opens": "09:00", "closes": "17:00"}].',
            field="restrictions",
        )
    try:
        windows = parse_windows(value)
        validate(CalendarSpec(zone=zone, windows=windows))
    except CalendarError as error:
        message = error.message.replace("windows[", "restrictions[").replace("The calendar", "The layer")
        raise InvalidInput(message, field="restrictions") from error
    return windows_json(windows)


def _time(value: object) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        parsed = time.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"handoff_time must be a time like 09:00 (got {value!r}).", field="handoff_time") from None
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


def _date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"start_date must be a date like 2026-03-02 (got {value!r}).", field="start_date") from None


def _check_whole(value: object, field: str, *, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(f"{field} must be a whole number from {low} to {high}.", field=field)


# --- overrides -------------------------------------------------------------------------------


def create_override(*, actor: User | None, fields: Mapping[str, Any]) -> Override:
    """Put ``person`` on call for ``schedule`` from ``starts_at`` to ``ends_at``, whatever its layers say."""
    _check_may_manage(actor)
    _refuse_unknown(fields, OVERRIDE_FIELDS)
    override = Override(**fields)
    check_override(override)
    with transaction.atomic():
        create_audited(override, subject_type=OVERRIDE_SUBJECT, actor=actor)
        _stamp()
    return override


def update_override(
    override: Override, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> Override:
    """Change who covers, when, or the note."""
    _check_may_manage(actor)
    _refuse_unknown(
        changes, OVERRIDE_CHANGES, moved="An override stays with its schedule; add one to the other schedule."
    )
    candidate = Override(pk=override.pk, **{**{n: getattr(override, n) for n in OVERRIDE_FIELDS}, **changes})
    check_override(candidate)
    checked = {name: getattr(candidate, name) for name in changes}
    with transaction.atomic():
        changed = update_audited(
            override, checked, subject_type=OVERRIDE_SUBJECT, actor=actor, allowed=OVERRIDE_CHANGES, if_match=if_match
        )
        if changed:
            _stamp()
    return override


def delete_override(override: Override, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    """Remove the override: the layers decide again."""
    _check_may_manage(actor)
    with transaction.atomic():
        delete_audited(override, subject_type=OVERRIDE_SUBJECT, actor=actor, refusal="", if_match=if_match)
        _stamp()


def check_override(override: Override) -> None:
    """InvalidInput naming the field when the override cannot be stored as it is."""
    if getattr(override, "schedule_id", None) is None:
        raise InvalidInput("Give the schedule the override is for.", field="schedule")
    person = getattr(override, "person", None) if override.person_id is not None else None
    if person is None or not staff_users().filter(pk=person.pk).exists():
        raise InvalidInput("Give the person who covers: an active member of IT staff.", field="person")
    for name in ("starts_at", "ends_at"):
        value = getattr(override, name)
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise InvalidInput(f"{name} must be a time with its zone, e.g. 2026-03-28T08:00:00Z.", field=name)
        if not YEARS[0] <= value.year <= YEARS[1]:
            raise InvalidInput(f"{name} must be in the years 2000–2099.", field=name)
    if override.ends_at <= override.starts_at:
        raise InvalidInput("ends_at must be after starts_at.", field="ends_at")
    if override.ends_at - override.starts_at > LONGEST_OVERRIDE:
        raise InvalidInput("An override lasts at most 366 days; add another for longer.", field="ends_at")
    override.note = " ".join(str(override.note or "").split())
    if len(override.note) > 200:
        raise InvalidInput("note takes at most 200 characters.", field="note")


# --- shared ----------------------------------------------------------------------------------


def _stamp() -> None:
    """A new version of the schedules, in the writing transaction (``queries.roster``)."""
    ScheduleSetVersion.objects.update_or_create(pk=1, defaults={"stamp": uuid4().hex})


# --- working hours ---------------------------------------------------------------------------

WORKING_HOURS_SUBJECT: Final = "working_hours"


def create_working_hours(*, actor: User | None, fields: Mapping[str, Any]) -> WorkingHours:
    """Say when a person works (``person``, ``calendar``): a person has at most one calendar."""
    _check_may_manage(actor)
    _refuse_unknown(fields, ("person", "calendar"))
    person, calendar = fields.get("person"), fields.get("calendar")
    if not isinstance(person, User) or not person.is_staff_member:
        raise InvalidInput("Give the member of IT staff whose working hours these are.", field="person")
    if not isinstance(calendar, Calendar):
        raise InvalidInput("Give the calendar of their working hours (an SLA calendar).", field="calendar")
    if WorkingHours.objects.filter(person=person).exists():
        raise Conflict(f"{person} has working hours already; change them instead.", field="person")
    return create_audited(
        WorkingHours(person=person, calendar=calendar), subject_type=WORKING_HOURS_SUBJECT, actor=actor
    )


def update_working_hours(
    row: WorkingHours, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> WorkingHours:
    _check_may_manage(actor)
    _refuse_unknown(changes, ("calendar",))
    if "calendar" in changes and not isinstance(changes["calendar"], Calendar):
        raise InvalidInput("Give the calendar of their working hours (an SLA calendar).", field="calendar")
    update_audited(
        row, dict(changes), subject_type=WORKING_HOURS_SUBJECT, actor=actor, allowed=("calendar",), if_match=if_match
    )
    return row


def delete_working_hours(row: WorkingHours, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    """The person works any time again, as far as the strategies are concerned."""
    _check_may_manage(actor)
    delete_audited(row, subject_type=WORKING_HOURS_SUBJECT, actor=actor, refusal="", if_match=if_match)


def _check_may_manage(actor: User | None) -> None:
    if actor is not None and not can_manage_oncall(actor):
        raise NotAllowed(MANAGERS_ONLY)


def _refuse_unknown(fields: Mapping[str, Any], known: Sequence[str], *, moved: str = "") -> None:
    unknown = sorted(set(fields) - set(known))
    if unknown:
        message = moved if moved and unknown == ["schedule"] else f"These fields cannot be set: {', '.join(unknown)}."
        raise InvalidInput(message, field=unknown[0])
