"""Admin for the incident reference data, for administrators. Incidents themselves are read-only
here: every change to an incident goes through its actions (audit, timeline, events), which the
admin would bypass.
"""

from django.contrib import admin
from django.http import HttpRequest

from keel.accounts.admin_access import CapabilityAdmin, CapabilityTabularInline
from keel.incidents.models import Category, Incident, PriorityRule


class SubcategoryInline(CapabilityTabularInline[Category, Category]):
    model = Category
    fk_name = "parent"
    extra = 1
    fields = ("name", "is_active")


@admin.register(Category)
class CategoryAdmin(CapabilityAdmin[Category]):
    list_display = ("name", "parent", "is_active")
    list_filter = ("is_active", "parent")
    search_fields = ("name",)
    inlines = [SubcategoryInline]


@admin.register(PriorityRule)
class PriorityRuleAdmin(CapabilityAdmin[PriorityRule]):
    """The impact × urgency → priority matrix: nine cells, edited in place, never added or removed."""

    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)
    list_display_links = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PriorityRule | None = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(CapabilityAdmin[Incident]):
    list_display = ("__str__", "state", "priority", "assignment_group", "assignee", "opened_at")
    list_filter = ("state", "priority")
    list_select_related = ("assignment_group", "assignee")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        return False
