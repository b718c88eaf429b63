"""Admin for SLA calendars and policies (saved through the same actions as the API, so an edit
makes a calendar version and is validated alike); clocks are read-only explanations. For those who
manage SLAs (capability ``manage_sla``: incident managers and administrators)."""

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from keel.accounts.admin_access import CapabilityAdmin, CapabilityTabularInline
from keel.accounts.api import user_of
from keel.accounts.roles import Capability
from keel.lib.errors import KeelError
from keel.sla.actions.setup import (
    CALENDAR_FIELDS,
    POLICY_FIELDS,
    calendar_values,
    create_calendar,
    create_policy,
    policy_values,
    update_calendar,
    update_policy,
)
from keel.sla.models import Calendar, Clock, ClockEvent, Policy


class _ActionForm[M: Calendar | Policy](forms.ModelForm[M]):
    """A form the action accepts once it is valid: the action's own rules check the cleaned fields,
    and a refusal shows on the field it names."""

    rules: Callable[[Mapping[str, Any]], object]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        fields = list(self.fields)  # the admin lists its read-only fields in _meta.fields too
        try:
            self.rules({name: data.get(name) for name in fields})
        except KeelError as error:
            field = error.field if error.field in fields else None
            raise ValidationError({field: error.message} if field else error.message) from error
        return data


class CalendarForm(_ActionForm[Calendar]):
    rules = staticmethod(calendar_values)

    class Meta:
        model = Calendar
        fields = list(CALENDAR_FIELDS)


class PolicyForm(_ActionForm[Policy]):
    rules = staticmethod(policy_values)

    class Meta:
        model = Policy
        fields = list(POLICY_FIELDS)


class ManagedAdmin[M: Calendar | Policy](CapabilityAdmin[M]):
    """Only those who may manage SLAs see and change them; deleting goes through the API (it checks
    use). A save calls the app's action (``add_with``, ``change_with``), so it is validated and
    audited as the API's is; the saved row's values (a new version, the holidays) are copied back."""

    capability = Capability.MANAGE_SLA
    add_with: Callable[..., M]  # the actions a save calls
    change_with: Callable[..., M]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: M, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data.get(name) for name in form.fields}
        actor = user_of(request)
        saved = (
            self.change_with(obj, actor=actor, changes=fields) if change else self.add_with(actor=actor, fields=fields)
        )
        for field in saved._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))


@admin.register(Calendar)
class CalendarAdmin(ManagedAdmin[Calendar]):
    form = CalendarForm
    add_with = staticmethod(create_calendar)
    change_with = staticmethod(update_calendar)
    list_display = ("name", "zone", "holiday_country", "holiday_subdivision", "version", "updated_at")
    readonly_fields = ("holidays", "version", "updated_at")


@admin.register(Policy)
class PolicyAdmin(ManagedAdmin[Policy]):
    form = PolicyForm
    add_with = staticmethod(create_policy)
    change_with = staticmethod(update_policy)
    list_display = (
        "name",
        "position",
        "is_active",
        "priority",
        "service",
        "calendar",
        "response_target_s",
        "resolution_target_s",
    )
    list_filter = ("is_active", "priority")


class ClockEventInline(CapabilityTabularInline[ClockEvent, Clock]):
    model = ClockEvent
    capability = Capability.MANAGE_SLA
    fields = ("kind", "at", "recorded_at", "target_s", "percent", "data")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Clock)
class ClockAdmin(CapabilityAdmin[Clock]):
    """Read-only: clocks change only through the incident's actions and the sweep."""

    capability = Capability.MANAGE_SLA

    list_display = ("incident_id", "name", "policy_name", "state", "due_at", "breached_at", "elapsed_s")
    list_filter = ("name", "state")
    inlines = [ClockEventInline]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
