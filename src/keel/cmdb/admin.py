"""Admin for the CMDB, for configuration managers and administrators (capability ``manage_cmdb``).

Every save and delete goes through ``cmdb.actions``, like the console, the API and the CLI: the
same rules, a no-op when nothing changes, and the audit rows (``CMDBChanged``). The admin's form
validates the row first (the model's own checks, and the actions' ``check_*`` for what only they
know), so a valid form is one the action accepts. A relationship's ``needer``/``needed`` are not in
the form: the action derives them from source, target and kind.
"""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from keel.accounts.admin_access import CapabilityAdmin
from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.cmdb import actions
from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service
from keel.lib.errors import KeelError


class CMDBAdmin[M: Model](CapabilityAdmin[M]):
    capability = Capability.MANAGE_CMDB

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[M]) -> None:
        """The list's "delete selected": one action call per row, so each is audited."""
        for row in queryset:
            self.delete_model(request, row)


@admin.register(CIType)
class CITypeAdmin(CMDBAdmin[CIType]):
    list_display = ("slug", "name")
    search_fields = ("slug", "name")
    fields = ("slug", "name", "description")

    def save_model(self, request: HttpRequest, obj: CIType, form: Any, change: bool) -> None:
        actor = _user(request)
        if change:
            actions.update_ci_type(_stored(obj), actor=actor, changes=_changes(form))
            return
        data = form.cleaned_data
        obj.pk = actions.create_ci_type(
            actor=actor, slug=data["slug"], name=data["name"], description=data["description"]
        ).pk

    def delete_model(self, request: HttpRequest, obj: CIType) -> None:
        actions.delete_ci_type(obj, actor=_user(request))


class ServiceForm(forms.ModelForm[Service]):
    class Meta:
        model = Service
        fields = ["name", "description", "owner_team", "users", "criticality", "ci"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and data.get("name"):
            try:
                actions.check_new_service(name=data["name"], ci=data.get("ci"))
            except KeelError as error:
                self.add_error("ci", error.message)
        return data


@admin.register(Service)
class ServiceAdmin(CMDBAdmin[Service]):
    form = ServiceForm
    list_display = ("name", "users", "criticality", "owner_team", "ci")
    list_select_related = ("owner_team", "ci")
    search_fields = ("name",)
    raw_id_fields = ("ci",)

    def save_model(self, request: HttpRequest, obj: Service, form: Any, change: bool) -> None:
        actor = _user(request)
        if change:
            actions.update_service(_stored(obj), actor=actor, changes=_changes(form))
            return
        data = form.cleaned_data
        saved = actions.create_service(
            actor=actor,
            name=data["name"],
            users=data["users"],
            criticality=data["criticality"],
            description=data["description"],
            owner_team=data["owner_team"],
            ci=data["ci"],
        )
        obj.pk, obj.ci = saved.pk, saved.ci

    def delete_model(self, request: HttpRequest, obj: Service) -> None:
        actions.delete_service(obj, actor=_user(request))


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(CMDBAdmin[ConfigurationItem]):
    list_display = ("name", "ci_type", "criticality", "status", "environment", "support_group")
    list_filter = ("ci_type", "status", "environment", "criticality")
    list_select_related = ("ci_type", "support_group")
    search_fields = ("name",)
    show_full_result_count = False  # 100k CIs: no count of the whole table per page

    def save_model(self, request: HttpRequest, obj: ConfigurationItem, form: Any, change: bool) -> None:
        actor = _user(request)
        if change:
            actions.update_ci(_stored(obj), actor=actor, changes=_changes(form))
            return
        fields = dict(form.cleaned_data)
        obj.pk = actions.create_ci(
            actor=actor,
            name=fields.pop("name"),
            ci_type=fields.pop("ci_type"),
            criticality=fields.pop("criticality"),
            fields=fields,
        ).pk

    def delete_model(self, request: HttpRequest, obj: ConfigurationItem) -> None:
        actions.delete_ci(obj, actor=_user(request))

    def get_deleted_objects(
        self, objs: Sequence[ConfigurationItem] | QuerySet[ConfigurationItem], request: HttpRequest
    ) -> tuple[list[Any], dict[Any, Any], set[Any], list[Any]]:
        """A CI that stands for a business service is protected, as ``delete_ci`` refuses it."""
        deleted, counts, permissions_needed, protected = super().get_deleted_objects(objs, request)
        standing = Service.objects.filter(ci__in=list(objs)).order_by("name")
        protected += [f"Business service: {service.name} (delete or relink the service first)" for service in standing]
        return deleted, counts, permissions_needed, protected


class RelationshipForm(forms.ModelForm[Relationship]):
    class Meta:
        model = Relationship
        fields = ["source", "kind", "target"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is not None:
            try:
                actions.check_relationship_kind(self.instance, str(data.get("kind", "")))
            except KeelError as error:
                self.add_error("kind", error.message)
        elif data.get("source") is not None and data.get("source") == data.get("target"):
            self.add_error("target", f"{data['source']} cannot be related to itself; pick another CI.")
        return data


@admin.register(Relationship)
class RelationshipAdmin(CMDBAdmin[Relationship]):
    form = RelationshipForm
    list_display = ("source", "kind", "target")
    list_filter = ("kind",)
    list_select_related = ("source", "target")
    search_fields = ("source__name", "target__name")
    # An id box with a search pop-up, never a select listing every CI; the ends of a relationship
    # are what it is, so only the kind changes afterwards.
    raw_id_fields = ("source", "target")
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Relationship | None = None) -> tuple[str, ...]:
        return ("source", "target") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Relationship, form: Any, change: bool) -> None:
        actor = _user(request)
        kind = str(form.cleaned_data["kind"])
        if change:
            actions.change_relationship_kind(_stored(obj), actor=actor, kind=kind)
            return
        data = form.cleaned_data
        obj.pk = actions.relate(actor=actor, source=data["source"], target=data["target"], kind=kind).pk

    def delete_model(self, request: HttpRequest, obj: Relationship) -> None:
        actions.unrelate(obj, actor=_user(request))


def _stored[M: Model](obj: M) -> M:
    """The row as stored: the admin's form has already copied the new values onto ``obj``."""
    return type(obj)._default_manager.get(pk=obj.pk)


def _changes(form: Any) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.changed_data}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user
