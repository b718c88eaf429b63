from django.contrib import admin

from keel.cmdb.models import ConfigurationItem, Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
    list_display = ("name", "owner_team")
    search_fields = ("name",)


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin[ConfigurationItem]):
    list_display = ("name",)
    list_filter = ()
    search_fields = ("name",)
