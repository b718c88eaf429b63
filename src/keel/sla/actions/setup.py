"""Writes on SLA set-up: calendars (an edit that changes how time counts stores a new version),
policies, and the daily job that keeps each calendar's public holidays ahead of any due. One
function per verb, keyword-only, with an explicit actor (None = Keel itself); the API and the admin
call the same ones. Each change leaves its audit rows in its transaction (``keel.audit``: created,
each field's old → new, deleted).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from django.db import models, transaction

from keel.accounts.models import User
from keel.audit.actions import Change, delete_audited, hold_to, next_revision, record_changes
from keel.cmdb.models import Service
from keel.lib import clock as wall_clock
from keel.lib.conditional import IfMatch
from keel.lib.errors import Conflict, InvalidInput, NotAllowed
from keel.sla.actions.clocks import recalibrate
from keel.sla.business_time import CalendarError
from keel.sla.calendars import (
    HOLIDAY_HORIZON,
    build_spec,
    forget_specs,
    holiday_coverage,
    holiday_years,
    parse_closures,
    parse_recurring,
    parse_windows,
    public_holidays,
    spec_json,
    windows_json,
)
from keel.sla.models import Calendar, CalendarVersion, Clock, OnReopen, Policy
from keel.sla.permissions import can_manage_sla

# Hold reasons a policy may pause on: the values of incidents' HoldReason (sla cannot import it;
# tests/incidents checks the two lists agree).
HOLD_REASONS: Final = ("awaiting_caller", "awaiting_vendor", "awaiting_change", "awaiting_problem")
DEFAULT_THRESHOLDS: Final = (50, 75, 90)
# SLA-SEMANTICS §2: waiting for the caller, a vendor or a change stops the resolution clock.
DEFAULT_PAUSING_REASONS: Final = ("awaiting_caller", "awaiting_vendor", "awaiting_change")
# What people set, through the API and the admin's forms (in the order the forms show them); the
# actions derive the rest. Drift tests hold both lists to the models (tests/sla/actions/test_setup.py).
CALENDAR_FIELDS: Final = (
    "name",
    "zone",
    "windows",
    "holiday_country",
    "holiday_subdivision",
    "closures",
    "recurring_closures",
)
POLICY_FIELDS: Final = (
    *("name", "position", "is_active", "priority", "service", "category_id", "caller_vip", "calendar"),
    *("response_target_s", "resolution_target_s", "thresholds", "pausing_reasons", "on_reopen"),
)
# How audit rows address set-up records.
SUBJECTS: Final[Mapping[type[models.Model], str]] = {Calendar: "sla_calendar", Policy: "sla_policy"}


def create_calendar(*, actor: User | None, fields: Mapping[str, Any]) -> Calendar:
    """Store a calendar and its first version; refused with what to fix if it cannot measure time."""
    _check_may_manage(actor)
    values = calendar_values({"holiday_country": "", "holiday_subdivision": "", **fields})
    with transaction.atomic():
        _check_name_free(Calendar, values["name"])
        spec = values.pop("spec")
        calendar = Calendar.objects.create(**values, version=1, updated_at=wall_clock.now())
        _store_version(calendar, spec)
        _audit(calendar, actor, [("created", "", str(calendar))], at=calendar.updated_at)
    return calendar


def update_calendar(
    calendar: Calendar, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> Calendar:
    """Edit a calendar: a new version, which running clocks count with from now on (past untouched).
    An edit that changes nothing is a no-op. ``if_match``: the revisions the client may change."""
    _check_may_manage(actor)
    with transaction.atomic():
        calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
        hold_to(calendar, if_match)
        current = {name: getattr(calendar, name) for name in CALENDAR_FIELDS}
        values = calendar_values({**current, **changes})
        spec = values.pop("spec")
        if "name" in changes:
            _check_name_free(Calendar, values["name"], calendar.pk)
        audit = _changed(calendar, values)
        previous = CalendarVersion.objects.get(calendar=calendar, number=calendar.version)
        if previous.spec == spec and not audit:
            return calendar
        now = wall_clock.now()
        for name, value in values.items():
            setattr(calendar, name, value)
        calendar.updated_at = now
        version = None
        if previous.spec != spec:
            calendar.version += 1
            version = _store_version(calendar, spec)
            audit.append(("version", previous.number, calendar.version))
        next_revision(calendar)
        calendar.save()
        _audit(calendar, actor, audit, at=now)
        if version is not None:
            recalibrate(calendar, version, at=now, actor_id=actor.pk if actor else None)
    return calendar


def delete_calendar(calendar: Calendar, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    _check_may_manage(actor)
    refusal = f"Calendar {calendar.name!r} is used by policies or clocks; point them at another calendar first."
    if Policy.objects.filter(calendar=calendar).exists() or Clock.objects.filter(calendar=calendar).exists():
        raise Conflict(refusal)
    with transaction.atomic():
        CalendarVersion.objects.filter(calendar=calendar).delete()
        delete_audited(calendar, subject_type=SUBJECTS[Calendar], actor=actor, refusal=refusal, if_match=if_match)


def calendar_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """What a calendar of these fields stores (its public holidays, its version's ``spec``), or
    InvalidInput saying what to fix. The admin's form asks it too."""
    name = _name(
        fields, CALENDAR_FIELDS, kinds="Calendars", missing="Give the calendar a name, e.g. 'London office hours'."
    )
    try:
        windows = parse_windows(_list(fields.get("windows"), "windows"))
        closures = parse_closures(_list(fields.get("closures"), "closures"))
        recurring = parse_recurring(_list(fields.get("recurring_closures"), "recurring_closures"))
        country, subdivision = str(fields["holiday_country"] or "").upper(), str(fields["holiday_subdivision"] or "")
        years = holiday_years(wall_clock.now().year)
        holidays = public_holidays(country, subdivision, years=years)
        spec = build_spec(
            zone=str(fields.get("zone") or ""),
            windows=windows,
            holidays=holidays,
            closures=closures,
            recurring=recurring,
        )
    except CalendarError as error:
        raise InvalidInput(error.message, field=error.field) from error
    stored = spec_json(spec)
    if country:
        stored["holiday_years"] = [years.start, years.stop - 1]
    return {
        "name": name[:100],
        "zone": spec.zone,
        "windows": windows_json(windows),
        "holiday_country": country,
        "holiday_subdivision": subdivision,
        "holidays": _holiday_rows(stored),
        "closures": _list(fields.get("closures"), "closures"),
        "recurring_closures": _list(fields.get("recurring_closures"), "recurring_closures"),
        "spec": stored,
    }


def _holiday_rows(spec: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"date": day, "name": label} for day, label in spec["holidays"]]


def extend_public_holidays() -> int:
    """Keep each calendar's public holidays reaching ``HOLIDAY_HORIZON`` past now, so one nobody
    edits does not stop closing on them a few years on. Returns how many calendars were extended;
    run daily by the scheduler, and a second run the same day extends nothing.

    The missing years go into a new version effective now; the years the calendar held already are
    copied as they were (B5: a ``holidays`` upgrade never rewrites them). Running clocks keep the
    version they count with: it covers every instant they can look at (see ``calendars``).
    """
    now = wall_clock.now()
    horizon = (now + HOLIDAY_HORIZON).year
    extended = 0
    for pk in Calendar.objects.exclude(holiday_country="").values_list("pk", flat=True):
        with transaction.atomic():
            calendar = Calendar.objects.select_for_update().get(pk=pk)
            current = CalendarVersion.objects.get(calendar=calendar, number=calendar.version)
            held = holiday_coverage(current)
            if held.stop > horizon:
                continue
            years = range(held.stop, holiday_years(now.year).stop)
            added = public_holidays(calendar.holiday_country, calendar.holiday_subdivision, years=years)
            spec = {
                **current.spec,
                "holidays": [*current.spec["holidays"], *([day.isoformat(), name] for day, name in added)],
                "holiday_years": [held.start, years.stop - 1],
            }
            old = calendar.holidays
            calendar.version += 1
            calendar.holidays, calendar.updated_at = _holiday_rows(spec), now
            _store_version(calendar, spec)
            calendar.save(update_fields=["version", "holidays", "updated_at", *next_revision(calendar)])
            audit = [("holidays", old, calendar.holidays), ("version", current.number, calendar.version)]
            _audit(calendar, None, audit, at=now)
        extended += 1
    return extended


def _list(value: object, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput(f"{field} must be a list.", field=field)
    return list(value)


def create_policy(*, actor: User | None, fields: Mapping[str, Any]) -> Policy:
    """Store an SLA policy; it applies to incidents opened (or re-prioritised) from now on."""
    _check_may_manage(actor)
    values = policy_values(
        {
            "position": 100,
            "is_active": True,
            "thresholds": list(DEFAULT_THRESHOLDS),
            "pausing_reasons": list(DEFAULT_PAUSING_REASONS),
            "on_reopen": OnReopen.RESUME,
            **fields,
        }
    )
    with transaction.atomic():
        _check_name_free(Policy, values["name"])
        policy = Policy.objects.create(**values)
        _audit(policy, actor, [("created", "", str(policy))])
    return policy


def update_policy(
    policy: Policy, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> Policy:
    """Edit a policy. Running clocks keep the targets they were given (SLA-SEMANTICS §2). An edit
    that changes nothing is a no-op. ``if_match``: the revisions the client may change."""
    _check_may_manage(actor)
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=policy.pk)
        hold_to(policy, if_match)
        current = {name: getattr(policy, name) for name in POLICY_FIELDS}
        values = policy_values({**current, **changes})
        _check_name_free(Policy, values["name"], policy.pk)
        audit = _changed(policy, values)
        if audit:
            for name, value in values.items():
                setattr(policy, name, value)
            next_revision(policy)
            policy.save()
            _audit(policy, actor, audit)
    return policy


def delete_policy(policy: Policy, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    """Delete a policy no clock used; one that measured incidents can only be deactivated."""
    _check_may_manage(actor)
    refusal = f"Policy {policy.name!r} has measured incidents; set is_active to false instead."
    delete_audited(policy, subject_type=SUBJECTS[Policy], actor=actor, refusal=refusal, if_match=if_match)


def policy_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """What a policy of these fields stores, or InvalidInput saying what to fix. The admin's form
    asks it too."""
    name = _name(fields, POLICY_FIELDS, kinds="Policies", missing="Give the policy a name, e.g. 'P1 — critical'.")
    calendar = fields.get("calendar")
    if not isinstance(calendar, Calendar):
        raise InvalidInput(
            "Give the policy a calendar (its id or name); create one first if none fits.", field="calendar"
        )
    service = fields.get("service")
    if service is not None and not isinstance(service, Service):
        raise InvalidInput("service must be a service id or name.", field="service")
    priority = fields.get("priority")
    if priority is not None and priority not in range(1, 6):
        raise InvalidInput(f"priority must be 1 to 5, or empty for any (got {priority!r}).", field="priority")
    response, resolution = fields.get("response_target_s"), fields.get("resolution_target_s")
    for field, value in (("response_target_s", response), ("resolution_target_s", resolution)):
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise InvalidInput(f"{field} must be a positive number of seconds (got {value!r}).", field=field)
    if response is None and resolution is None:
        raise InvalidInput(
            "Give response_target_s or resolution_target_s (seconds of business time).", field="resolution_target_s"
        )
    return {
        "name": name[:100],
        "position": _position(fields.get("position")),
        "is_active": bool(fields.get("is_active", True)),
        "priority": priority,
        "service": service,
        "category_id": fields.get("category_id"),
        "caller_vip": fields.get("caller_vip"),
        "calendar": calendar,
        "response_target_s": response,
        "resolution_target_s": resolution,
        "thresholds": _thresholds(fields.get("thresholds")),
        "pausing_reasons": _reasons(fields.get("pausing_reasons")),
        "on_reopen": _on_reopen(fields.get("on_reopen")),
    }


def _position(value: object) -> int:
    if not isinstance(value, int) or value < 0:
        raise InvalidInput(
            f"position must be 0 or more (got {value!r}); lower positions are matched first.", field="position"
        )
    return value


def _thresholds(value: object) -> list[int]:
    values = _list(value, "thresholds")
    if any(not isinstance(p, int) or not 0 < p < 100 for p in values):
        raise InvalidInput(f"thresholds are percentages between 1 and 99 (got {values!r}).", field="thresholds")
    return sorted(set(values))


def _reasons(value: object) -> list[str]:
    values = [str(reason) for reason in _list(value, "pausing_reasons")]
    unknown = [reason for reason in values if reason not in HOLD_REASONS]
    if unknown:
        raise InvalidInput(
            f"Unknown hold reason {unknown[0]!r}; use any of {', '.join(HOLD_REASONS)}.", field="pausing_reasons"
        )
    return sorted(set(values))


def _on_reopen(value: object) -> str:
    if value not in OnReopen.values:
        raise InvalidInput(f"on_reopen must be one of {', '.join(OnReopen.values)} (got {value!r}).", field="on_reopen")
    return str(value)


def _check_may_manage(actor: User | None) -> None:
    if actor is not None and not can_manage_sla(actor):
        raise NotAllowed("Only incident managers and administrators can change SLA calendars and policies.")


# --- shared steps ---------------------------------------------------------------------------


def _name(fields: Mapping[str, Any], known: tuple[str, ...], *, kinds: str, missing: str) -> str:
    """The record's name as stored (spaces collapsed), after refusing a field it does not have."""
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise InvalidInput(f"{kinds} have no field {unknown[0]!r}.", field=unknown[0])
    name = " ".join(str(fields.get("name") or "").split())
    if not name:
        raise InvalidInput(missing, field="name")
    return name


def _check_name_free(model: type[Calendar | Policy], name: str, pk: int | None = None) -> None:
    others = model.objects.filter(name=name)
    if (others if pk is None else others.exclude(pk=pk)).exists():
        what = model._meta.verbose_name
        raise Conflict(f"A {what} named {name!r} exists; pick another name.", field="name")


def _store_version(calendar: Calendar, spec: dict[str, Any]) -> CalendarVersion:
    """Store the calendar's version ``calendar.version`` as of its ``updated_at``."""
    forget_specs()
    return CalendarVersion.objects.create(
        calendar=calendar, number=calendar.version, spec=spec, created_at=calendar.updated_at
    )


def _changed(row: Calendar | Policy, values: Mapping[str, Any]) -> list[Change]:
    """(field, old, new) of each value that differs from what the row holds."""
    return [(name, getattr(row, name), value) for name, value in values.items() if getattr(row, name) != value]


def _audit(row: Calendar | Policy, actor: User | None, changes: list[Change], *, at: datetime | None = None) -> None:
    record_changes(subject_type=SUBJECTS[type(row)], subject_id=row.pk, actor=actor, changes=changes, at=at)
