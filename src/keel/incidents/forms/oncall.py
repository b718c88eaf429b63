"""Console forms for on-call: a schedule, a layer (members picked from IT staff, restrictions as
"mon-fri 09:00-17:00" lines), an override, and the "who is on call at…" question, each turned into
the fields the actions take."""

import re
from typing import Any, Final

from django import forms

from keel.accounts.models import Team
from keel.accounts.queries import staff_users
from keel.lib.forms import Fieldset, FieldsetForm
from keel.oncall.models import Layer, Override, Rotation, Schedule
from keel.sla.business_time import WEEKDAYS

WEEKDAY_CHOICES: Final = [(str(index), name.capitalize()) for index, name in enumerate(WEEKDAYS)]
WHEN: Final = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME: Final = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE: Final = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# One restriction a line: "mon-fri 09:00-17:00", "sat 10:00-14:00", "sun 22:00-06:00" (closes next day).
_WINDOW: Final = re.compile(r"^(\w{3})(?:\s*-\s*(\w{3}))?\s+(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})$")


class ScheduleForm(FieldsetForm):
    fieldsets = (Fieldset("The schedule", (("name", "team"), ("time_zone", "tier"), "description")),)

    name = forms.CharField(max_length=100, help_text="E.g. “Network primary”.")
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), empty_label=None)
    time_zone = forms.CharField(max_length=64, initial="Europe/London", help_text="IANA name: Europe/Berlin.")
    tier = forms.TypedChoiceField(
        coerce=int,
        choices=[(n, f"{n} — {'primary' if n == 1 else 'secondary' if n == 2 else 'backup'}") for n in range(1, 10)],
    )
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    @staticmethod
    def initial_for(schedule: Schedule) -> dict[str, Any]:
        return {name: getattr(schedule, name) for name in ("name", "time_zone", "tier", "description")} | {
            "team": schedule.team_id
        }

    def fields_for_action(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **{name: data[name] for name in ("name", "team", "time_zone", "tier")},
            "description": data["description"],
        }


class LayerForm(FieldsetForm):
    fieldsets = (
        Fieldset(
            "The rotation",
            (("name", "position"), ("rotation", "shift_days"), ("handoff_time", "handoff_weekday", "start_date")),
        ),
        Fieldset("Who takes turns, in order", ("members",)),
        Fieldset("Only at these hours — leave empty for all the time", ("restrictions",)),
    )

    name = forms.CharField(max_length=100, initial="Weekly")
    position = forms.IntegerField(
        min_value=0, max_value=2**31 - 1, initial=1, help_text="Higher layers win where they have someone."
    )
    rotation = forms.ChoiceField(choices=Rotation.choices, initial=Rotation.WEEKLY)
    shift_days = forms.IntegerField(
        label="Days per shift", min_value=1, max_value=28, required=False, help_text="For “every few days”."
    )
    handoff_time = forms.TimeField(
        label="Handoff at", widget=TIME, initial="09:00", help_text="The schedule's local time."
    )
    handoff_weekday = forms.TypedChoiceField(
        label="Handoff day",
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "The start date's"), *WEEKDAY_CHOICES],
        help_text="Weekly rotations.",
    )
    start_date = forms.DateField(widget=DATE, help_text="The first member starts at the first handoff from then.")
    members = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Usernames of IT staff, one a line or separated by commas, in the order they take turns.",
    )
    restrictions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="One a line: mon-fri 09:00-17:00. Outside them lower layers show through.",
    )

    @staticmethod
    def initial_for(layer: Layer, usernames: dict[int, str]) -> dict[str, Any]:
        return {
            **{name: getattr(layer, name) for name in ("name", "position", "rotation", "handoff_time", "start_date")},
            "shift_days": layer.shift_days,
            "handoff_weekday": layer.handoff_weekday,
            "members": "\n".join(usernames[pk] for pk in layer.members if pk in usernames),
            "restrictions": "\n".join(f"{w['weekday']} {w['opens']}-{w['closes']}" for w in layer.restrictions),
        }

    def clean_members(self) -> list[int]:
        names = [name for name in re.split(r"[\s,]+", self.cleaned_data["members"]) if name]
        found = dict(staff_users().filter(username__in=names).values_list("username", "pk"))
        missing = [name for name in names if name not in found]
        if missing:
            raise forms.ValidationError(f"No active IT staff member is called “{missing[0]}”.")
        return [found[name] for name in names]

    def clean_restrictions(self) -> list[dict[str, Any]]:
        windows = []
        for line in filter(None, (line.strip().lower() for line in self.cleaned_data["restrictions"].splitlines())):
            match = _WINDOW.match(line)
            if match is None or match[1] not in WEEKDAYS or (match[2] and match[2] not in WEEKDAYS):
                raise forms.ValidationError(f"Write “{line}” as a day or days and hours: mon-fri 09:00-17:00.")
            first, last = WEEKDAYS.index(match[1]), WEEKDAYS.index(match[2] or match[1])
            for day in range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]:
                overnight = match[4] <= match[3] and match[4] not in {"00:00", "24:00"}
                windows.append(
                    {"weekday": WEEKDAYS[day], "opens": match[3], "closes": match[4], "closes_next_day": overnight}
                )
        return windows

    def fields_for_action(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in (
                "name",
                "position",
                "rotation",
                "handoff_time",
                "handoff_weekday",
                "start_date",
                "members",
                "restrictions",
            )
        }
        if data["rotation"] == Rotation.CUSTOM:
            fields["shift_days"] = data["shift_days"] or 1
        return fields


class OverrideForm(FieldsetForm):
    fieldsets = (Fieldset("Who covers, and when", ("person", ("starts_at", "ends_at"), "note")),)

    person = forms.ModelChoiceField(
        queryset=staff_users().order_by("username"), to_field_name="username", empty_label=None
    )
    starts_at = forms.DateTimeField(label="From", widget=WHEN, help_text="Your time zone.")
    ends_at = forms.DateTimeField(label="Until", widget=WHEN)
    note = forms.CharField(required=False, max_length=200, help_text="E.g. “Covering for Bob”.")

    @staticmethod
    def initial_for(override: Override) -> dict[str, Any]:
        return {
            "person": override.person.username,
            "starts_at": override.starts_at,
            "ends_at": override.ends_at,
            "note": override.note,
        }

    def fields_for_action(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("person", "starts_at", "ends_at", "note")}


class OnCallAtForm(forms.Form):
    """Who is on call for a team at a moment (the viewer's time zone)."""

    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), to_field_name="slug", empty_label=None)
    at = forms.DateTimeField(label="At", widget=WHEN)
