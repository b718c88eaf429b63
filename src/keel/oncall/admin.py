"""Admin for on-call schedules, layers and overrides, for those who manage on-call (incident
managers and administrators): saved and deleted through the same actions as the API and the
console, so each change is checked and audited alike. The schedules' version is Keel's own
bookkeeping and not shown."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model

from keel.accounts.admin_access import ActionAdmin
from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.lib.errors import KeelError
from keel.oncall import actions
from keel.oncall.models import Layer, Override, Schedule, WorkingHours


def _checked_by[M: Model](check: Callable[[M], None], model: type[M], names: tuple[str, ...]) -> Any:
    """A form's ``clean`` that runs the actions' check on the record as it would be stored."""

    def clean(self: forms.ModelForm[M]) -> dict[str, Any]:
        data = forms.ModelForm.clean(self) or {}
        given = {name: data[name] for name in names if name in data}
        if self.instance.pk is not None:
            given = {**{name: getattr(self.instance, name) for name in names}, **given}
        candidate = model(pk=self.instance.pk, **given)
        try:
            check(candidate)
        except KeelError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return data

    return clean


class ScheduleForm(forms.ModelForm[Schedule]):
    class Meta:
        model = Schedule
        fields = list(actions.SCHEDULE_FIELDS)

    clean = _checked_by(actions.check_schedule, Schedule, actions.SCHEDULE_FIELDS)


class LayerForm(forms.ModelForm[Layer]):
    class Meta:
        model = Layer
        fields = list(actions.LAYER_FIELDS)

    clean = _checked_by(actions.check_layer, Layer, actions.LAYER_FIELDS)


class OverrideForm(forms.ModelForm[Override]):
    class Meta:
        model = Override
        fields = list(actions.OVERRIDE_FIELDS)

    clean = _checked_by(actions.check_override, Override, actions.OVERRIDE_FIELDS)


def _create_schedule(*, actor: User | None, **fields: Any) -> Schedule:
    return actions.create_schedule(actor=actor, fields=fields)


def _create_layer(*, actor: User | None, **fields: Any) -> Layer:
    return actions.create_layer(actor=actor, fields=fields)


def _create_override(*, actor: User | None, **fields: Any) -> Override:
    return actions.create_override(actor=actor, fields=fields)


@admin.register(Schedule)
class ScheduleAdmin(ActionAdmin[Schedule]):
    capability = Capability.MANAGE_ONCALL
    form = ScheduleForm
    list_display = ("name", "team", "tier", "time_zone")
    list_filter = ("team",)
    list_select_related = ("team",)
    search_fields = ("name",)
    create_with = staticmethod(_create_schedule)
    update_with = staticmethod(actions.update_schedule)
    delete_with = staticmethod(actions.delete_schedule)


@admin.register(Layer)
class LayerAdmin(ActionAdmin[Layer]):
    capability = Capability.MANAGE_ONCALL
    form = LayerForm
    list_display = ("name", "schedule", "position", "rotation", "handoff_time", "start_date")
    list_select_related = ("schedule",)
    create_with = staticmethod(_create_layer)
    update_with = staticmethod(actions.update_layer)
    delete_with = staticmethod(actions.delete_layer)

    def get_readonly_fields(self, request: Any, obj: Layer | None = None) -> tuple[str, ...]:
        return ("schedule",) if obj is not None else ()  # it stays with its schedule


@admin.register(Override)
class OverrideAdmin(ActionAdmin[Override]):
    capability = Capability.MANAGE_ONCALL
    form = OverrideForm
    list_display = ("person", "schedule", "starts_at", "ends_at", "note")
    list_select_related = ("schedule", "person")
    create_with = staticmethod(_create_override)
    update_with = staticmethod(actions.update_override)
    delete_with = staticmethod(actions.delete_override)

    def get_readonly_fields(self, request: Any, obj: Override | None = None) -> tuple[str, ...]:
        return ("schedule",) if obj is not None else ()  # it stays with its schedule


def _create_working_hours(*, actor: User | None, **fields: Any) -> WorkingHours:
    return actions.create_working_hours(actor=actor, fields=fields)


@admin.register(WorkingHours)
class WorkingHoursAdmin(ActionAdmin[WorkingHours]):
    capability = Capability.MANAGE_ONCALL
    fields = ("person", "calendar")
    list_display = ("person", "calendar")
    list_select_related = ("person", "calendar")
    create_with = staticmethod(_create_working_hours)
    update_with = staticmethod(actions.update_working_hours)
    delete_with = staticmethod(actions.delete_working_hours)

    def get_readonly_fields(self, request: Any, obj: WorkingHours | None = None) -> tuple[str, ...]:
        return ("person",) if obj is not None else ()
