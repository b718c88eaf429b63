"""Admin for routing rules, for those who manage routing (incident managers and administrators):
saved and deleted through the same actions as the API and the console, so each change is checked
and audited alike. The rule-set version is Keel's own bookkeeping and not shown."""

from typing import Any

from django import forms
from django.contrib import admin

from keel.accounts.admin_access import ActionAdmin
from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.lib.errors import KeelError
from keel.routing import actions
from keel.routing.models import GroupAssignment, RoutingRule


class RoutingRuleForm(forms.ModelForm[RoutingRule]):
    """The rule's fields, checked as the action checks them: a refusal shows on the field it names."""

    class Meta:
        model = RoutingRule
        fields = list(actions.RULE_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        candidate = RoutingRule(**{name: data.get(name) for name in actions.RULE_FIELDS if name in data})
        try:
            actions.check_rule(candidate)
        except KeelError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return data


def _create(*, actor: User | None, **fields: Any) -> RoutingRule:
    return actions.create_rule(actor=actor, fields=fields)


@admin.register(RoutingRule)
class RoutingRuleAdmin(ActionAdmin[RoutingRule]):
    capability = Capability.MANAGE_ROUTING
    form = RoutingRuleForm
    list_display = ("name", "position", "is_active", "assignment_group", "set_urgency", "set_impact")
    list_filter = ("is_active", "assignment_group")
    list_select_related = ("assignment_group",)
    ordering = ("position", "id")
    search_fields = ("name",)
    create_with = staticmethod(_create)
    update_with = staticmethod(actions.update_rule)
    delete_with = staticmethod(actions.delete_rule)


def _create_group_assignment(*, actor: User | None, **fields: Any) -> GroupAssignment:
    return actions.create_group_assignment(actor=actor, fields=fields)


@admin.register(GroupAssignment)
class GroupAssignmentAdmin(ActionAdmin[GroupAssignment]):
    capability = Capability.MANAGE_ROUTING
    fields = ("team", "strategy")
    list_display = ("team", "strategy", "last_assignee")
    list_select_related = ("team", "last_assignee")
    create_with = staticmethod(_create_group_assignment)
    update_with = staticmethod(actions.update_group_assignment)
    delete_with = staticmethod(actions.delete_group_assignment)

    def get_readonly_fields(self, request: Any, obj: GroupAssignment | None = None) -> tuple[str, ...]:
        return ("team",) if obj is not None else ()
