"""On-call in the console: IT staff see who is on call now and at any moment, each schedule's
layers, overrides and next fortnight, and subscribe to their own shifts as a calendar; incident
managers and administrators add and change schedules, layers and overrides (the actions refuse
anyone else too). The calendar feed needs no session: its URL carries a signed token."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keel.accounts.models import User
from keel.incidents.forms.oncall import LayerForm, OnCallAtForm, OverrideForm, ScheduleForm
from keel.incidents.views.common import guarded, show_error
from keel.lib import clock
from keel.lib.errors import KeelError, NotFound
from keel.lib.forms import FieldsetForm
from keel.oncall import actions as oncall
from keel.oncall.feed import Event, calendar, feed_token, is_feed_token
from keel.oncall.models import Layer, Override, Schedule
from keel.oncall.permissions import can_manage_oncall, can_read_oncall
from keel.oncall.queries import (
    get_layer,
    get_override,
    get_schedule,
    layers_of,
    on_call_tiers,
    overrides_of,
    people_by_id,
    schedule_shifts,
    schedules,
    shifts_of_person,
    stints_by_schedule,
)
from keel.sla.business_time import WEEKDAYS

STAFF_ONLY: Final = "On-call schedules are for IT staff."
MANAGERS_ONLY: Final = oncall.MANAGERS_ONLY
AHEAD: Final = timedelta(days=14)
FEED_DAYS: Final = timedelta(days=60)


def _when(instant: int) -> datetime:
    return datetime.fromtimestamp(instant, UTC)


@require_GET
@guarded(can_read_oncall, STAFF_ONLY)
def schedule_list(request: HttpRequest, user: User) -> HttpResponse:
    """Every schedule with who is on call now and the next handoff, and the "who is on call at…" box."""
    now = clock.now()
    rows = list(schedules())
    tiers = stints_by_schedule(now)
    ask = OnCallAtForm(request.GET if "at" in request.GET else None, initial={"at": now})
    asked = None
    if ask.is_bound and ask.is_valid():
        asked = {"team": ask.cleaned_data["team"], "at": ask.cleaned_data["at"]}
        asked["tiers"] = [_tier(answer) for answer in on_call_tiers(asked["team"].pk, ask.cleaned_data["at"])]
    context = {
        "nav": "oncall",
        "rows": [{"schedule": row, **_tier(tiers.get(row.pk))} for row in rows],
        "ask": ask,
        "asked": asked,
        "can_manage": can_manage_oncall(user),
        "feed_url": request.build_absolute_uri(_feed_path(user.username)),
    }
    return render(
        request, "incidents/oncall/schedules.html", context, status=400 if ask.is_bound and not asked else 200
    )


def _tier(answer: Any) -> dict[str, Any]:
    if answer is None or answer.stint is None:
        return {"person": None, "since": None, "until": None, "source": None}
    stint = answer.stint
    return {
        "tier": answer.schedule.tier,
        "name": answer.schedule.name,
        "person": answer.person,
        "since": _when(stint.start),
        "until": _when(stint.end),
        "source": "override" if stint.layer_id is None else stint.source,
    }


@require_GET
@guarded(can_read_oncall, STAFF_ONLY)
def schedule_detail(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    schedule = _found(get_schedule, pk)
    now = clock.now()
    layers = list(layers_of(schedule))
    people = people_by_id({pk for layer in layers for pk in layer.members})
    context = {
        "nav": "oncall",
        "schedule": schedule,
        "layers": [_layer_row(layer, people) for layer in layers],
        "overrides": list(overrides_of(schedule)),
        "shifts": [
            {"person": person, "since": _when(stint.start), "until": _when(stint.end), "source": stint.source}
            for stint, person in schedule_shifts(schedule.pk, now, now + AHEAD)
        ],
        "can_manage": can_manage_oncall(user),
    }
    return render(request, "incidents/oncall/schedule.html", context)


def _layer_row(layer: Layer, people: dict[int, User]) -> dict[str, Any]:
    every = {"daily": "every day", "weekly": "every week", "custom": f"every {layer.shift_days} days"}[layer.rotation]
    day = f"{WEEKDAYS[layer.handoff_weekday].capitalize()} " if layer.handoff_weekday is not None else ""
    return {
        "layer": layer,
        "handoff": f"{every}, {day}{layer.handoff_time:%H:%M}",
        "members": [people[pk] for pk in layer.members if pk in people],
        "restrictions": [f"{w['weekday'].capitalize()} {w['opens']}–{w['closes']}" for w in layer.restrictions],
    }


# --- schedules -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@guarded(can_manage_oncall, MANAGERS_ONLY)
def schedule_new(request: HttpRequest, user: User) -> HttpResponse:
    form = ScheduleForm(request.POST if request.method == "POST" else None)
    return _save(
        request,
        form,
        lambda: oncall.create_schedule(actor=user, fields=form.fields_for_action()),
        done=lambda row: (f"Added “{row}”.", reverse("oncall:schedule", args=[row.pk])),
        title="Add a schedule",
        back=reverse("oncall:schedules"),
    )


@require_http_methods(["GET", "POST"])
@guarded(can_manage_oncall, MANAGERS_ONLY)
def schedule_edit(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    schedule = _found(get_schedule, pk)
    form = ScheduleForm(request.POST if request.method == "POST" else None, initial=ScheduleForm.initial_for(schedule))
    back = reverse("oncall:schedule", args=[schedule.pk])
    return _save(
        request,
        form,
        lambda: oncall.update_schedule(schedule, actor=user, changes=form.fields_for_action()),
        done=lambda row: (f"Saved “{row}”.", back),
        title=f"Edit “{schedule}”",
        back=back,
        remove=reverse("oncall:schedule_delete", args=[schedule.pk]),
        removes="this schedule, its layers and overrides",
    )


@require_POST
@guarded(can_manage_oncall, MANAGERS_ONLY)
def schedule_delete(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    schedule = _found(get_schedule, pk)
    name = schedule.name
    oncall.delete_schedule(schedule, actor=user)
    messages.success(request, f"Removed “{name}”.")
    return redirect("oncall:schedules")


# --- layers ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@guarded(can_manage_oncall, MANAGERS_ONLY)
def layer_new(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    schedule = _found(get_schedule, pk)
    form = LayerForm(request.POST if request.method == "POST" else None, initial={"start_date": clock.now().date()})
    back = reverse("oncall:schedule", args=[schedule.pk])
    return _save(
        request,
        form,
        lambda: oncall.create_layer(actor=user, fields={"schedule": schedule, **form.fields_for_action()}),
        done=lambda row: (f"Added the layer “{row.name}”.", back),
        title=f"Add a layer to “{schedule}”",
        back=back,
    )


@require_http_methods(["GET", "POST"])
@guarded(can_manage_oncall, MANAGERS_ONLY)
def layer_edit(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    layer = _found(get_layer, pk)
    usernames = {person.pk: person.username for person in people_by_id(layer.members).values()}
    form = LayerForm(
        request.POST if request.method == "POST" else None, initial=LayerForm.initial_for(layer, usernames)
    )
    back = reverse("oncall:schedule", args=[layer.schedule_id])
    return _save(
        request,
        form,
        lambda: oncall.update_layer(layer, actor=user, changes=form.fields_for_action()),
        done=lambda row: (f"Saved the layer “{row.name}”.", back),
        title=f"Edit the layer “{layer.name}”",
        back=back,
        remove=reverse("oncall:layer_delete", args=[layer.pk]),
        removes="this layer",
    )


@require_POST
@guarded(can_manage_oncall, MANAGERS_ONLY)
def layer_delete(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    layer = _found(get_layer, pk)
    schedule_id, name = layer.schedule_id, layer.name
    oncall.delete_layer(layer, actor=user)
    messages.success(request, f"Removed the layer “{name}”.")
    return redirect("oncall:schedule", schedule_id)


# --- overrides -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@guarded(can_manage_oncall, MANAGERS_ONLY)
def override_new(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    schedule = _found(get_schedule, pk)
    form = OverrideForm(request.POST if request.method == "POST" else None)
    back = reverse("oncall:schedule", args=[schedule.pk])
    return _save(
        request,
        form,
        lambda: oncall.create_override(actor=user, fields={"schedule": schedule, **form.fields_for_action()}),
        done=lambda row: (f"{row.person} covers from {row.starts_at:%Y-%m-%d %H:%M} UTC.", back),
        title=f"Add an override to “{schedule}”",
        back=back,
    )


@require_http_methods(["GET", "POST"])
@guarded(can_manage_oncall, MANAGERS_ONLY)
def override_edit(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    override = _found(get_override, pk)
    form = OverrideForm(request.POST if request.method == "POST" else None, initial=OverrideForm.initial_for(override))
    back = reverse("oncall:schedule", args=[override.schedule_id])
    return _save(
        request,
        form,
        lambda: oncall.update_override(override, actor=user, changes=form.fields_for_action()),
        done=lambda row: ("Saved the override.", back),
        title="Edit the override",
        back=back,
        remove=reverse("oncall:override_delete", args=[override.pk]),
        removes="this override",
    )


@require_POST
@guarded(can_manage_oncall, MANAGERS_ONLY)
def override_delete(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    override = _found(get_override, pk)
    schedule_id = override.schedule_id
    oncall.delete_override(override, actor=user)
    messages.success(request, "Removed the override: the layers decide again.")
    return redirect("oncall:schedule", schedule_id)


# --- the calendar feed -----------------------------------------------------------------------


@require_GET
def person_feed(request: HttpRequest, username: str) -> HttpResponse:
    """The person's shifts for the next 60 days as iCalendar; 404 for a wrong token or person."""
    token = request.GET.get("token", "")
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None or not can_read_oncall(person) or not is_feed_token(username, token):
        raise Http404("No calendar feed here: check the link on the On-call page.")
    now = clock.now()
    events = [
        Event(
            uid=f"oncall-{spec.id}-{stint.layer_id or 'override'}-{stint.start}-{person.pk}@keel",
            start=stint.start,
            end=stint.end,
            summary=f"On call: {spec.name} (tier {spec.tier})",
            description="Override" if stint.layer_id is None else f"Layer {stint.source}",
        )
        for spec, stint in shifts_of_person(person.pk, now, now + FEED_DAYS)
    ]
    body = calendar(f"On call: {person.get_full_name() or person.username}", events, stamp=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="oncall-{person.username}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def _feed_path(username: str) -> str:
    return f"{reverse('oncall:feed', args=[username])}?token={feed_token(username)}"


# --- plumbing --------------------------------------------------------------------------------


def _found[R](find: Callable[[int], R], pk: int) -> R:
    try:
        return find(pk)
    except NotFound as error:
        raise Http404(error.message) from error


def _save(
    request: HttpRequest,
    form: FieldsetForm,
    act: Callable[[], Schedule | Layer | Override],
    *,
    done: Callable[[Any], tuple[str, str]],
    title: str,
    back: str,
    remove: str = "",
    removes: str = "",
) -> HttpResponse:
    """A form page: on a valid post, the action; its refusal next to the field it names."""
    if form.is_bound and form.is_valid():
        try:
            row = act()
        except KeelError as error:
            show_error(form, error)
        else:
            message, target = done(row)
            messages.success(request, message)
            return redirect(target)
    context = {"nav": "oncall", "form": form, "title": title, "back": back, "remove": remove, "removes": removes}
    return render(request, "incidents/oncall/edit.html", context, status=400 if form.is_bound else 200)
