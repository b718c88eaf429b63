"""Admin for the incident reference data, for administrators. Every save and delete of a category
(and of the subcategories edited inline) and every cell of the priority matrix goes through
``actions.reference``, so each change is validated and audited like any other. Incidents
themselves are read-only here: every change to an incident goes through its actions (audit,
timeline, events), which the admin would bypass.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from keel.accounts.admin_access import CapabilityAdmin, CapabilityTabularInline, ReadOnlyAdmin, changes_of, stored
from keel.accounts.api import user_of
from keel.incidents.actions.reference import create_category, delete_category, set_priority, update_category
from keel.incidents.models import Category, Incident, PriorityRule
from keel.incidents.states import Priority


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

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        actor = user_of(request)
        if change:
            update_category(stored(obj), actor=actor, changes=changes_of(form))
            return
        data = form.cleaned_data
        obj.pk = create_category(actor=actor, name=data["name"], parent=data["parent"], is_active=data["is_active"]).pk

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The inline subcategories: each one added, changed or deleted through the actions. What
        ``formset.save()`` would write is read off its forms, and what it would note (for the
        admin's history) is noted the same way."""
        actor = user_of(request)
        deleted = formset.deleted_forms
        formset.deleted_objects = [inline.instance for inline in deleted if inline.instance.pk is not None]
        for category in formset.deleted_objects:
            delete_category(category, actor=actor)
        kept = [inline for inline in formset.forms if inline not in deleted and inline.has_changed()]
        formset.changed_objects = []
        formset.new_objects = []
        for inline in kept:
            if inline in formset.initial_forms:
                update_category(stored(inline.instance), actor=actor, changes=changes_of(inline))
                formset.changed_objects.append((inline.instance, inline.changed_data))
            else:
                data = inline.cleaned_data
                formset.new_objects.append(
                    create_category(actor=actor, name=data["name"], parent=form.instance, is_active=data["is_active"])
                )

    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        delete_category(obj, actor=user_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        """The list's "delete selected": one action call per category, so each is audited."""
        for category in queryset:
            self.delete_model(request, category)


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

    def save_model(self, request: HttpRequest, obj: PriorityRule, form: Any, change: bool) -> None:
        """A cell edited in the list (``list_editable``) or on its page."""
        set_priority(stored(obj), actor=user_of(request), priority=Priority(form.cleaned_data["priority"]))


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin[Incident]):
    list_display = ("__str__", "state", "priority", "assignment_group", "assignee", "opened_at")
    list_filter = ("state", "priority")
    list_select_related = ("assignment_group", "assignee")
    show_full_result_count = False
