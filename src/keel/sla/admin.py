"""Admin for SLA calendars and policies (saved through the same actions as the API, so an edit
makes a calendar version and is validated alike); clocks are read-only explanations. For those who
manage SLAs (capability ``manage_sla``: incident managers and administrators)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from keel.accounts.admin_access import CapabilityAdmin, CapabilityTabularInline
from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.lib.errors import KeelError
from keel.sla.actions import (
    CALENDAR_FIELDS,
    calendar_values,
    create_calendar,
    create_policy,
    policy_values,
    update_calendar,
    update_policy,
)
from keel.sla.models import Calendar, Clock, ClockEvent, Policy

CALENDAR_FORM_FIELDS = [
    "name",
    "zone",
    "windows",
    "holiday_country",
    "holiday_subdivision",
    "closures",
    "recurring_closures",
]
POLICY_FORM_FIELDS = [
    "name",
    "position",
    "is_active",
    "priority",
    "service",
    "category_id",
    "caller_vip",
    "calendar",
    "response_target_s",
    "resolution_target_s",
    "thresholds",
    "pausing_reasons",
    "on_reopen",
]


def _as_form_error(error: KeelError, fields: list[str]) -> ValidationError:
    field = error.field if error.field in fields else None
    return ValidationError({field: error.message} if field else error.message)


class CalendarForm(forms.ModelForm[Calendar]):
    class Meta:
        model = Calendar
        fields = CALENDAR_FORM_FIELDS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            calendar_values({name: data.get(name) for name in CALENDAR_FIELDS}, creating=self.instance.pk is None)
        except KeelError as error:
            raise _as_form_error(error, CALENDAR_FORM_FIELDS) from error
        return data


class PolicyForm(forms.ModelForm[Policy]):
    class Meta:
        model = Policy
        fields = POLICY_FORM_FIELDS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            policy_values({name: data.get(name) for name in POLICY_FORM_FIELDS})
        except KeelError as error:
            raise _as_form_error(error, POLICY_FORM_FIELDS) from error
        return data


class ManagedAdmin[M: Calendar | Policy](CapabilityAdmin[M]):
    """Only those who may manage SLAs see and change them; deleting goes through the API (it checks use)."""

    capability = Capability.MANAGE_SLA

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Calendar)
class CalendarAdmin(ManagedAdmin[Calendar]):
    form = CalendarForm
    list_display = ("name", "zone", "holiday_country", "holiday_subdivision", "version", "updated_at")
    readonly_fields = ("holidays", "version", "updated_at")

    def save_model(self, request: HttpRequest, obj: Calendar, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data.get(name) for name in CALENDAR_FORM_FIELDS}
        actor = _user(request)
        saved = (
            update_calendar(obj, actor=actor, changes=fields) if change else create_calendar(actor=actor, fields=fields)
        )
        obj.pk, obj.version, obj.updated_at, obj.holidays = saved.pk, saved.version, saved.updated_at, saved.holidays


@admin.register(Policy)
class PolicyAdmin(ManagedAdmin[Policy]):
    form = PolicyForm
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

    def save_model(self, request: HttpRequest, obj: Policy, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data.get(name) for name in POLICY_FORM_FIELDS}
        actor = _user(request)
        saved = update_policy(obj, actor=actor, changes=fields) if change else create_policy(actor=actor, fields=fields)
        obj.pk = saved.pk


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


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user
