"""The Django admin opened by capability, not by ``is_staff``, and writing through the actions.

Roles are Keel's only source of permissions (``accounts/roles.py``): ``is_staff``/``is_superuser``
are not kept in step with a role change, so the admin does not read them. The site lets in anyone
whose role has one of ``ADMIN_CAPABILITIES``; each model admin says which capability covers it
(``CapabilityAdmin.capability``) and shows itself, with view, add, change and delete, only to those
who have it. Signing in goes through Keel's own sign-in page (with its throttling), not the admin's.

``ActionAdmin`` saves and deletes through an app's actions, so the admin is audited like every
other door (``obj.save()`` would write no audit row).
"""

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from keel.accounts.api import user_of
from keel.accounts.models import User
from keel.accounts.permissions import can_enter_admin, can_manage_in_admin
from keel.accounts.roles import Capability


def _may(request: HttpRequest, capability: Capability) -> bool:
    user = request.user
    return isinstance(user, User) and user.is_active and can_manage_in_admin(user, capability)


class KeelAdminSite(admin.AdminSite):
    site_header = "Keel administration"
    site_title = "Keel admin"
    index_title = "Reference data, CMDB, SLA and monitoring set-up"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_active and can_enter_admin(user)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Send people to Keel's sign-in (one sign-in, one throttle), then back to where they were going."""
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            return redirect_to_login(target, reverse("accounts:sign-in"))
        if self.has_permission(request):
            return HttpResponseRedirect(target)
        message = (
            "The admin is for administrators, configuration managers (the CMDB) and incident managers "
            "(SLA and monitoring set-up). Ask an administrator if your role should change."
        )
        return render(request, "403.html", {"message": message}, status=403)


class CapabilityAdmin[M: Model](admin.ModelAdmin[M]):
    """A model admin shown, viewable and editable only by those whose role has ``capability``.

    Subclasses that are read-only, or refuse some verb, override those methods as before.
    """

    capability: ClassVar[Capability] = Capability.ADMINISTER

    def has_capability(self, request: HttpRequest) -> bool:
        return _may(request, self.capability)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may(request, self.capability)

    def has_view_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return _may(request, self.capability)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may(request, self.capability)

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return _may(request, self.capability)

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return _may(request, self.capability)


class ReadOnlyAdmin[M: Model](CapabilityAdmin[M]):
    """A model admin that lists and shows, to those with the capability, what other doors write."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


class CapabilityTabularInline[C: Model, P: Model](admin.TabularInline[C, P]):
    """An inline that follows the same capability as the model admin it sits in."""

    capability: ClassVar[Capability] = Capability.ADMINISTER

    def has_view_permission(self, request: HttpRequest, obj: P | None = None) -> bool:
        return _may(request, self.capability)

    # An inline's add check takes the parent object; the stubs mark Django's own override the same way.
    def has_add_permission(self, request: HttpRequest, obj: P | None) -> bool:  # type: ignore[override]
        return _may(request, self.capability)

    def has_change_permission(self, request: HttpRequest, obj: P | None = None) -> bool:
        return _may(request, self.capability)

    def has_delete_permission(self, request: HttpRequest, obj: P | None = None) -> bool:
        return _may(request, self.capability)


class ActionAdmin[M: Model](CapabilityAdmin[M]):
    """Saves and deletes through the actions a subclass names: ``create_with(actor=…, **form data)``,
    ``update_with(stored row, actor=…, changes=the fields the form changed)``, ``delete_with(row, actor=…)``."""

    create_with: ClassVar[Callable[..., Any]]
    update_with: ClassVar[Callable[..., Any]]
    delete_with: ClassVar[Callable[..., None]]

    def save_model(self, request: HttpRequest, obj: M, form: Any, change: bool) -> None:
        actor = user_of(request)
        if change:
            self.update_with(stored(obj), actor=actor, changes=changes_of(form))
        else:
            saved_into(obj, self.create_with(actor=actor, **_without_many(form, form.cleaned_data)))

    def delete_model(self, request: HttpRequest, obj: M) -> None:
        self.delete_with(obj, actor=user_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[M]) -> None:
        """The list's "delete selected": one action call per row, so each is audited."""
        for row in queryset:
            self.delete_model(request, row)


def stored[M: Model](obj: M) -> M:
    """The row as stored: the admin's form has already copied the new values onto ``obj``."""
    return type(obj)._default_manager.get(pk=obj.pk)


def changes_of(form: Any) -> dict[str, Any]:
    """The fields an admin form changed, with their new values."""
    return _without_many(form, {name: form.cleaned_data[name] for name in form.changed_data})


def _without_many(form: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """The data but its many-to-many fields, which the admin's ``save_related`` saves (a team's members)."""
    many = {field.name for field in form._meta.model._meta.many_to_many}
    return {name: value for name, value in data.items() if name not in many}


def saved_into(obj: Model, saved: Model) -> None:
    """Make the admin's unsaved ``obj`` the row an action saved (its id and what the action derived),
    for what the admin does next (its log entry, the redirect to the row)."""
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding, obj._state.db = False, saved._state.db
