"""Admin for the CMDB, for configuration managers and administrators (capability ``manage_cmdb``).

Every save and delete goes through ``cmdb.actions``, like the console, the API and the CLI: the
same rules, a no-op when nothing changes, and the audit rows. The admin's form validates the row
first (the model's own checks, and the actions' ``check_*`` for what only they know), so a valid
form is one the action accepts. A relationship's ``needer``/``needed`` are not in the form: the
action derives them from source, target and kind.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from keel.accounts.admin_access import ActionAdmin
from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.cmdb.actions import records, relationships
from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service
from keel.lib.errors import KeelError


class CMDBAdmin[M: Model](ActionAdmin[M]):
    capability = Capability.MANAGE_CMDB


@admin.register(CIType)
class CITypeAdmin(CMDBAdmin[CIType]):
    list_display = ("slug", "name")
    search_fields = ("slug", "name")
    fields = ("slug", "name", "description")
    create_with = staticmethod(records.create_ci_type)
    update_with = staticmethod(records.update_ci_type)
    delete_with = staticmethod(records.delete_ci_type)


class ServiceForm(forms.ModelForm[Service]):
    class Meta:
        model = Service
        fields = ["name", "description", "owner_team", "users", "criticality", "ci"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and data.get("name"):
            try:
                records.check_new_service(name=data["name"], ci=data.get("ci"))
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
    create_with = staticmethod(records.create_service)
    update_with = staticmethod(records.update_service)
    delete_with = staticmethod(records.delete_service)


def _create_ci(*, actor: User, **fields: Any) -> ConfigurationItem:
    return records.create_ci_from(actor=actor, fields=fields)


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(CMDBAdmin[ConfigurationItem]):
    list_display = ("name", "ci_type", "criticality", "status", "environment", "support_group")
    list_filter = ("ci_type", "status", "environment", "criticality")
    list_select_related = ("ci_type", "support_group")
    search_fields = ("name",)
    show_full_result_count = False  # 100k CIs: no count of the whole table per page
    create_with = staticmethod(_create_ci)
    update_with = staticmethod(records.update_ci)
    delete_with = staticmethod(records.delete_ci)

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
                relationships.check_relationship_kind(self.instance, str(data.get("kind", "")))
            except KeelError as error:
                self.add_error("kind", error.message)
        elif data.get("source") is not None and data.get("source") == data.get("target"):
            self.add_error("target", f"{data['source']} cannot be related to itself; pick another CI.")
        return data


def _change_kind(relationship: Relationship, *, actor: User, changes: Mapping[str, Any]) -> None:
    """Only the kind of a stored relationship changes here (its ends are read-only)."""
    if "kind" in changes:
        relationships.change_relationship_kind(relationship, actor=actor, kind=str(changes["kind"]))


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
    create_with = staticmethod(relationships.relate)
    update_with = staticmethod(_change_kind)
    delete_with = staticmethod(relationships.unrelate)

    def get_readonly_fields(self, request: HttpRequest, obj: Relationship | None = None) -> tuple[str, ...]:
        return ("source", "target") if obj is not None else ()
