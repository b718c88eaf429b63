"""Admin for people, teams and API tokens: administrators only (capability ``administer``).

Access comes from the role alone, so the form has no ``is_staff``/``is_superuser`` (they grant
nothing in Keel) and Django's groups are not offered. Every save goes through ``accounts.actions``
and is audited: a role, the VIP flag, a password change, a team's members, a revoked token.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from keel.accounts import actions
from keel.accounts.admin_access import ActionAdmin, ReadOnlyAdmin
from keel.accounts.api import user_of
from keel.accounts.models import ApiToken, Team, User
from keel.accounts.roles import Role

admin.site.unregister(Group)


def _add_user(
    *, actor: User, username: str, role: str, password1: str = "", set_usable_password: bool = True, **_: Any
) -> User:
    """The add form's data (its second password is the form's to check) as ``create_user`` takes it."""
    password = password1 if set_usable_password else None
    return actions.create_user(actor=actor, username=username, role=Role(role), password=password)


@admin.register(User)
class UserAdmin(ActionAdmin[User], DjangoUserAdmin[User]):
    list_display = ("username", "name", "email", "role", "is_vip", "is_active")
    list_filter = ("role", "is_vip", "is_active")
    search_fields = ("username", "name", "email")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": actions.PERSON_FIELDS}),
        ("Access", {"fields": ("role", "is_active")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "role", "password1", "password2")}),)
    create_with = staticmethod(_add_user)
    update_with = staticmethod(actions.update_user)
    delete_with = staticmethod(actions.delete_user)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """The password page, its save through ``change_password`` (audited); Django's own view
        shows the page, and the form again when it is not valid."""
        user = self.get_object(request, unquote(id))
        if request.method != "POST" or user is None or not self.has_change_permission(request, user):
            return super().user_change_password(request, id, form_url)
        form = self.change_password_form(user, request.POST)
        usable = form.is_valid() and form.cleaned_data["set_usable_password"]
        if not form.is_valid() or not (usable or "unset-password" in request.POST):
            return super().user_change_password(request, id, form_url)
        actions.change_password(
            user, actor=user_of(request), password=form.cleaned_data["password1"] if usable else None
        )
        self.log_change(request, user, self.construct_change_message(request, form, []))
        messages.success(request, "Password changed." if usable else "Password-based sign-in was disabled.")
        update_session_auth_hash(request, user)
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:accounts_user_change", args=(user.pk,)))


@admin.register(Team)
class TeamAdmin(ActionAdmin[Team]):
    list_display = ("name", "slug", "manager", "escalates_to")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)
    create_with = staticmethod(actions.create_team)
    update_with = staticmethod(actions.update_team)
    delete_with = staticmethod(actions.delete_team)

    def save_related(self, request: HttpRequest, form: ModelForm[Team], formsets: Any, change: bool) -> None:
        """The members, each one added or removed audited (Django would set them all silently)."""
        actions.set_team_members(form.instance, actor=user_of(request), members=form.cleaned_data["members"])


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin[ApiToken]):
    """Tokens are issued by ``keel token create``, which shows the raw value once; here they are
    listed and revoked. A revoked token stays, so the audit trail still names it."""

    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user",)
    readonly_fields = ("prefix", "user", "name", "key_hash", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return self.has_capability(request)

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            actions.revoke_api_token(token, actor=user_of(request))
        self.message_user(request, f"Revoked {len(queryset)} token(s); they no longer open the API.")
