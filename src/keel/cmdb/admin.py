"""Admin for the CMDB's reference data. Administrators may edit here; configuration managers use the
console and the API, whose actions check the capability (the admin is for administrators only)."""

from django.contrib import admin

from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service


@admin.register(CIType)
class CITypeAdmin(admin.ModelAdmin[CIType]):
    list_display = ("slug", "name")
    search_fields = ("slug", "name")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
    list_display = ("name", "users", "criticality", "owner_team", "ci")
    search_fields = ("name",)
    raw_id_fields = ("ci",)


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin[ConfigurationItem]):
    list_display = ("name", "ci_type", "criticality", "status", "environment", "support_group")
    list_filter = ("ci_type", "status", "environment", "criticality")
    search_fields = ("name",)


@admin.register(Relationship)
class RelationshipAdmin(admin.ModelAdmin[Relationship]):
    list_display = ("source", "kind", "target")
    list_filter = ("kind",)
    search_fields = ("source__name", "target__name")
    raw_id_fields = ("source", "target")
