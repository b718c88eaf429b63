"""Admin for monitoring, for those who manage integrations (capability ``manage_integrations``:
incident managers and administrators).

Sources, correlation rules and maintenance windows are saved through ``integrations.actions``, like
the console, the API and the CLI (and audited as they are); each form checks with the action's own
``check_*`` first, so a valid form is one the action accepts. A source has no secret field: adding one, or the "rotate"
list action, answers with a page that shows the URL and secret this once (the admin's usual
redirect would have to carry the secret elsewhere). Nothing is deleted: sources are revoked and
windows ended. What monitoring tools sent (payloads, alerts and their events, change events) is
read-only.
"""

from typing import Any
from weakref import WeakKeyDictionary

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from keel.accounts.admin_access import CapabilityAdmin, CapabilityTabularInline
from keel.accounts.api import user_of
from keel.accounts.roles import Capability
from keel.integrations.actions.rules import RULE_FIELDS, check_rule, create_rule, update_rule
from keel.integrations.actions.sources import (
    SOURCE_FIELDS,
    IssuedSecret,
    check_source_settings,
    create_source,
    revoke_source,
    rotate_secret,
    update_source,
)
from keel.integrations.actions.windows import (
    WINDOW_FIELDS,
    check_window,
    create_maintenance_window,
    end_maintenance_window,
    update_maintenance_window,
)
from keel.integrations.models import Alert, AlertEvent, ChangeEvent, CorrelationRule, MaintenanceWindow, Payload, Source
from keel.integrations.states import SourceKind
from keel.lib.errors import KeelError

# The secret a request just issued, between save_model and the page that shows it (never stored).
_issued: WeakKeyDictionary[HttpRequest, IssuedSecret] = WeakKeyDictionary()


class IntegrationsAdmin[M: Model](CapabilityAdmin[M]):
    capability = Capability.MANAGE_INTEGRATIONS

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


class ReadOnlyAdmin[M: Model](IntegrationsAdmin[M]):
    """What monitoring tools sent: recorded as received, never edited."""

    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


class CheckedForm[M: Model](forms.ModelForm[M]):
    """A form that the action's own checks validate (``check``): a refusal goes on the field it
    names, else on ``fallback`` (None: atop the form)."""

    fallback: str | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            self.check(data)
        except KeelError as error:
            self.add_error(error.field if error.field in self.fields else self.fallback, error.message)
        return data

    def check(self, data: dict[str, Any]) -> None:
        raise NotImplementedError


# --- sources ---------------------------------------------------------------------------------


class SourceForm(CheckedForm[Source]):
    # The field mapping's checks name its own settings (summary, items, …): all in "mapping".
    fallback = "mapping"

    class Meta:
        model = Source
        fields = SOURCE_FIELDS

    def check(self, data: dict[str, Any]) -> None:
        check_source_settings(
            data.get("kind") or self.instance.kind,
            mapping=data.get("mapping"),
            identity_labels=data.get("identity_labels") or [],
            expire_after_s=data.get("expire_after_s") or 0,
        )


@admin.register(Source)
class SourceAdmin(IntegrationsAdmin[Source]):
    form = SourceForm
    list_display = ("name", "kind", "token_prefix", "assignment_group", "created_at", "revoked_at")
    list_filter = ("kind",)
    list_select_related = ("assignment_group",)
    search_fields = ("name",)
    actions = ["rotate_secrets", "revoke_sources"]

    def get_readonly_fields(self, request: HttpRequest, obj: Source | None = None) -> tuple[str, ...]:
        stamps = ("token_prefix", "created_at", "created_by", "revoked_at")
        return ("kind", *stamps) if obj is not None else stamps

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        actor = user_of(request)
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "kind"}
            update_source(_stored(obj), actor=actor, changes=changes)
            return
        data = form.cleaned_data
        issued = create_source(actor=actor, **{name: data[name] for name in SOURCE_FIELDS})
        saved = issued.source
        obj.pk, obj.token_prefix, obj.created_at, obj.created_by = saved.pk, saved.token_prefix, saved.created_at, actor
        _issued[request] = issued

    def response_add(self, request: HttpRequest, obj: Source, post_url_continue: str | None = None) -> HttpResponse:
        issued = _issued.pop(request, None)
        if issued is None:
            return super().response_add(request, obj, post_url_continue)
        return self._show_issued(request, [issued], "Added the source")

    @admin.action(description="Rotate the secret of the selected sources (shows the new URLs once)")
    def rotate_secrets(self, request: HttpRequest, queryset: QuerySet[Source]) -> HttpResponse | None:
        active = [source for source in queryset.order_by("name") if source.revoked_at is None]
        if not active:
            self.message_user(request, "Revoked sources get no new secret; add a new source.", messages.WARNING)
            return None
        issued = [rotate_secret(source, actor=user_of(request)) for source in active]
        return self._show_issued(request, issued, "New secrets")

    @admin.action(description="Revoke the selected sources (Keel refuses what they send)")
    def revoke_sources(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        revoked = [revoke_source(source, actor=user_of(request)).name for source in queryset.order_by("name")]
        self.message_user(request, f"Revoked {', '.join(revoked)}: Keel refuses what they send from now on.")

    def _show_issued(self, request: HttpRequest, issued: list[IssuedSecret], title: str) -> HttpResponse:
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "issued": [
                {
                    "source": secret.source,
                    "url": secret.url,
                    "secret": secret.secret,
                    "is_pagerduty": secret.source.kind == SourceKind.PAGERDUTY,
                }
                for secret in issued
            ],
        }
        response = TemplateResponse(request, "admin/integrations/source/issued.html", context)
        response["Cache-Control"] = "no-store"
        return response


# --- correlation rules -----------------------------------------------------------------------


class CorrelationRuleForm(CheckedForm[CorrelationRule]):
    class Meta:
        model = CorrelationRule
        fields = RULE_FIELDS

    def check(self, data: dict[str, Any]) -> None:
        check_rule(CorrelationRule(**{name: data[name] for name in RULE_FIELDS if name in data}))


@admin.register(CorrelationRule)
class CorrelationRuleAdmin(IntegrationsAdmin[CorrelationRule]):
    form = CorrelationRuleForm
    list_display = ("name", "position", "is_active", "source", "opens_incident", "group_by", "on_all_resolved")
    list_filter = ("is_active", "opens_incident", "group_by")
    list_select_related = ("source",)
    ordering = ("position", "id")

    def save_model(self, request: HttpRequest, obj: CorrelationRule, form: Any, change: bool) -> None:
        actor = user_of(request)
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            update_rule(_stored(obj), actor=actor, changes=changes)
            return
        obj.pk = create_rule(actor=actor, fields={name: form.cleaned_data[name] for name in RULE_FIELDS}).pk


# --- maintenance windows ---------------------------------------------------------------------


class MaintenanceWindowForm(CheckedForm[MaintenanceWindow]):
    class Meta:
        model = MaintenanceWindow
        fields = WINDOW_FIELDS

    def check(self, data: dict[str, Any]) -> None:
        if data.get("starts_at") is None or data.get("ends_at") is None:
            return  # the fields say what is missing
        check_window(
            name=data.get("name", ""),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            matchers=data.get("matchers") or [],
            ci=data.get("ci"),
            service=data.get("service"),
        )


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(IntegrationsAdmin[MaintenanceWindow]):
    form = MaintenanceWindowForm
    list_display = ("name", "starts_at", "ends_at", "ci", "service", "created_by")
    list_select_related = ("ci", "service", "created_by")
    raw_id_fields = ("ci",)
    search_fields = ("name",)
    readonly_fields = ("created_by", "created_at")
    actions = ["end_windows"]

    def save_model(self, request: HttpRequest, obj: MaintenanceWindow, form: Any, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in WINDOW_FIELDS}
        fields["matchers"] = fields["matchers"] or []
        actor = user_of(request)
        if change:
            update_maintenance_window(_stored(obj), actor=actor, **fields)
            return
        saved = create_maintenance_window(actor=actor, **fields)
        obj.pk, obj.created_at, obj.created_by = saved.pk, saved.created_at, saved.created_by

    @admin.action(description="End the selected windows now (ones not started are removed)")
    def end_windows(self, request: HttpRequest, queryset: QuerySet[MaintenanceWindow]) -> None:
        names = [end_maintenance_window(window, actor=user_of(request)).name for window in queryset]
        self.message_user(request, f"Ended {', '.join(names)}: the alerts they covered open incidents again.")


# --- what monitoring tools sent: read-only ---------------------------------------------------


class AlertEventInline(CapabilityTabularInline[AlertEvent, Alert]):
    model = AlertEvent
    capability = Capability.MANAGE_INTEGRATIONS
    fields = ("at", "kind", "note", "incident_id", "payload_id")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Alert | None = None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin[Alert]):
    list_display = ("summary", "source", "status", "severity", "occurrences", "last_seen_at", "incident_id")
    list_filter = ("status", "severity", "is_flapping", "source")
    list_select_related = ("source",)
    search_fields = ("summary", "identity")
    inlines = [AlertEventInline]


@admin.register(Payload)
class PayloadAdmin(ReadOnlyAdmin[Payload]):
    list_display = ("id", "source", "endpoint", "received_at", "status", "signals", "error", "user_agent")
    list_filter = ("status", "endpoint", "source")
    list_select_related = ("source",)


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin[ChangeEvent]):
    list_display = ("summary", "source", "reported_by", "at", "ci")
    list_select_related = ("source", "ci")
    search_fields = ("summary", "reported_by")


def _stored[M: Model](obj: M) -> M:
    """The row as stored: the admin's form has already copied the new values onto ``obj``."""
    return type(obj)._default_manager.get(pk=obj.pk)
