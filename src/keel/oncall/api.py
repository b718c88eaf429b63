"""REST API v1 for on-call: schedules, their layers and overrides (list, add, read, change,
remove), and who is on call for a team at a moment (``GET /oncall?team=…&at=…``)."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from keel.accounts.api import user_of
from keel.accounts.models import User
from keel.accounts.queries import team_by_reference, user_by_reference
from keel.idempotency.api import idempotent
from keel.lib import clock
from keel.lib.api import IsoTime, Reference
from keel.lib.errors import InvalidInput, NotAllowed
from keel.lib.resources import Access, Resources
from keel.oncall import actions
from keel.oncall.models import Layer, Override, Schedule
from keel.oncall.permissions import can_manage_oncall, can_read_oncall
from keel.oncall.queries import (
    TierAnswer,
    get_layer,
    get_override,
    get_schedule,
    layers,
    on_call_tiers,
    overrides,
    people_by_id,
    schedule_by_reference,
    schedules,
)
from keel.oncall.schemas import (
    OncallLayerIn,
    OncallLayerOut,
    OncallLayerPatch,
    OncallOut,
    OncallOverrideIn,
    OncallOverrideOut,
    OncallOverridePatch,
    OncallScheduleIn,
    OncallScheduleOut,
    OncallSchedulePatch,
)
from keel.sla.business_time import WEEKDAYS

router = Router(tags=["on-call"])


def _reader(request: HttpRequest) -> User:
    user = user_of(request)
    if not can_read_oncall(user):
        raise NotAllowed("Only IT staff can see on-call schedules.")
    return user


def _manager(request: HttpRequest) -> User:
    """Refused before the request's references are looked up: who may not write learns nothing."""
    user = user_of(request)
    if not can_manage_oncall(user):
        raise NotAllowed(actions.MANAGERS_ONLY)
    return user


def person_json(person: User) -> dict[str, Any]:
    return {"id": person.pk, "username": person.username, "name": person.get_full_name() or person.username}


def _schedule_ref(schedule: Schedule) -> dict[str, Any]:
    return {"id": schedule.pk, "name": schedule.name, "time_zone": schedule.time_zone}


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    team = schedule.team
    return {
        **{name: getattr(schedule, name) for name in ("id", "name", "time_zone", "tier", "description")},
        "team": {"id": team.pk, "slug": team.slug, "name": team.name},
    }


def layer_json(layer: Layer) -> dict[str, Any]:
    people = people_by_id(layer.members)
    weekday = layer.handoff_weekday
    return {
        **{name: getattr(layer, name) for name in ("id", "name", "position", "rotation", "shift_days", "start_date")},
        "schedule": _schedule_ref(layer.schedule),
        "handoff_time": layer.handoff_time.strftime("%H:%M"),
        "handoff_weekday": WEEKDAYS[weekday] if weekday is not None else None,
        "members": [person_json(people[pk]) for pk in layer.members if pk in people],
        "restrictions": layer.restrictions,
    }


def override_json(override: Override) -> dict[str, Any]:
    return {
        "id": override.pk,
        "schedule": _schedule_ref(override.schedule),
        "person": person_json(override.person),
        "starts_at": override.starts_at,
        "ends_at": override.ends_at,
        "note": override.note,
    }


def _schedule_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    if fields.get("team") is not None:
        fields["team"] = team_by_reference(fields["team"], field="team")
    return fields


def _layer_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    if fields.get("schedule") is not None:
        fields["schedule"] = schedule_by_reference(fields["schedule"])
    if fields.get("members") is not None:
        fields["members"] = [user_by_reference(member, field="members").pk for member in fields["members"]]
    if fields.get("handoff_weekday") is not None:
        fields["handoff_weekday"] = WEEKDAYS.index(fields["handoff_weekday"])
    if "shift_days" in fields and fields["shift_days"] is None:
        del fields["shift_days"]
    return fields


def _override_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    if fields.get("schedule") is not None:
        fields["schedule"] = schedule_by_reference(fields["schedule"])
    if fields.get("person") is not None:
        fields["person"] = user_by_reference(fields["person"], field="person")
    return fields


resource = Resources(router, __name__, Access(read=_reader, write=_manager, once=idempotent))
SCHEDULES = resource(
    "/oncall/schedules",
    one="oncall_schedule",
    many="oncall_schedules",
    find=get_schedule,
    document=schedule_json,
    out=OncallScheduleOut,
    fields=_schedule_fields,
)
SCHEDULES.listing(schedules)
SCHEDULES.creating(OncallScheduleIn, actions.create_schedule)
SCHEDULES.reading()
SCHEDULES.changing(OncallSchedulePatch, actions.update_schedule)
SCHEDULES.deleting(actions.delete_schedule)

LAYERS = resource(
    "/oncall/layers",
    one="oncall_layer",
    many="oncall_layers",
    find=get_layer,
    document=layer_json,
    out=OncallLayerOut,
    fields=_layer_fields,
)
LAYERS.listing(layers)
LAYERS.creating(OncallLayerIn, actions.create_layer)
LAYERS.reading()
LAYERS.changing(OncallLayerPatch, actions.update_layer)
LAYERS.deleting(actions.delete_layer)

OVERRIDES = resource(
    "/oncall/overrides",
    one="oncall_override",
    many="oncall_overrides",
    find=get_override,
    document=override_json,
    out=OncallOverrideOut,
    fields=_override_fields,
)
OVERRIDES.listing(overrides)
OVERRIDES.creating(OncallOverrideIn, actions.create_override)
OVERRIDES.reading()
OVERRIDES.changing(OncallOverridePatch, actions.update_override)
OVERRIDES.deleting(actions.delete_override)


class OncallQuery(Schema):
    team: Reference = Field(description="Team id or slug.")
    at: IsoTime | None = Field(
        None, description="The moment asked about (ISO 8601, years 2000–2099; without a zone, UTC); now when left out."
    )


@router.get("/oncall", response=OncallOut)
def who_is_on_call(request: HttpRequest, query: Query[OncallQuery]) -> dict[str, Any]:
    """Who is on call for the team at `at` (now by default), per tier, primary first, with when
    their stint began and the next handoff; a tier with nobody on call answers a null person."""
    _reader(request)
    team = team_by_reference(query.team, field="team")
    at = query.at or clock.now()
    if not 2000 <= at.year <= 2099:
        raise InvalidInput("at must be a time in the years 2000–2099, e.g. 2026-03-28T08:00:00Z.", field="at")
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return {
        "team": {"id": team.pk, "slug": team.slug, "name": team.name},
        "at": at,
        "tiers": [_tier_json(answer) for answer in on_call_tiers(team.pk, at)],
    }


def _tier_json(answer: TierAnswer) -> dict[str, Any]:
    spec, stint = answer.schedule, answer.stint
    return {
        "tier": spec.tier,
        "schedule": {"id": spec.id, "name": spec.name, "time_zone": spec.zone},
        "person": person_json(answer.person) if answer.person else None,
        "starts_at": datetime.fromtimestamp(stint.start, UTC) if stint else None,
        "ends_at": datetime.fromtimestamp(stint.end, UTC) if stint else None,
        "source": ("override" if stint.layer_id is None else "layer") if stint else None,
        "layer": stint.source if stint and stint.layer_id is not None else None,
    }
