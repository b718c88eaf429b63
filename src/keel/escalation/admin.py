"""Admin for escalation policies, for incident managers and administrators: saved and deleted
through the same actions as the API and the console, so each change is checked and audited alike.
Steps are JSON here (see ``escalation.steps``); the console's form edits them field by field."""

from typing import Any

from django import forms
from django.contrib import admin

from keel.accounts.admin_access import ActionAdmin
from keel.accounts.models import User
from keel.accounts.roles import Capability
from keel.escalation import actions
from keel.escalation.models import EscalationPolicy
from keel.lib.errors import KeelError


class EscalationPolicyForm(forms.ModelForm[EscalationPolicy]):
    """The policy's fields, checked as the action checks them: a refusal shows on the field it names."""

    class Meta:
        model = EscalationPolicy
        fields = list(actions.POLICY_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        candidate = EscalationPolicy(**{name: data.get(name) for name in actions.POLICY_FIELDS if name in data})
        try:
            actions.check_policy(candidate)
        except KeelError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return data


def _create(*, actor: User | None, **fields: Any) -> EscalationPolicy:
    return actions.create_policy(actor=actor, fields=fields)


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(ActionAdmin[EscalationPolicy]):
    capability = Capability.MANAGE_ROUTING
    form = EscalationPolicyForm
    list_display = ("name", "position", "is_active")
    list_filter = ("is_active",)
    ordering = ("position", "id")
    search_fields = ("name",)
    create_with = staticmethod(_create)
    update_with = staticmethod(actions.update_policy)
    delete_with = staticmethod(actions.delete_policy)
