"""Admin for people, teams and API tokens: administrators only (capability ``administer``).

Access comes from the role alone, so the form has no ``is_staff``/``is_superuser`` (they grant
nothing in Keel) and Django's groups are not offered.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group

from keel.accounts.admin_access import CapabilityAdmin
from keel.accounts.models import ApiToken, Team, User

admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(CapabilityAdmin[User], DjangoUserAdmin[User]):
    list_display = ("username", "name", "email", "role", "is_vip", "is_active")
    list_filter = ("role", "is_vip", "is_active")
    search_fields = ("username", "name", "email")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("name", "email", "phone", "time_zone", "is_vip", "manager")}),
        ("Access", {"fields": ("role", "is_active", "failed_sign_ins", "locked_until")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "role", "password1", "password2")}),)


@admin.register(Team)
class TeamAdmin(CapabilityAdmin[Team]):
    list_display = ("name", "slug", "manager")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)


@admin.register(ApiToken)
class ApiTokenAdmin(CapabilityAdmin[ApiToken]):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
