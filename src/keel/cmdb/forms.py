"""Console forms for the CMDB: the arguments of ``create_ci`` / ``update_ci`` and ``relate``."""

import json
from typing import Any

from django import forms

from keel.accounts.models import Team
from keel.cmdb.kinds import CIStatus, Criticality, Environment, RelationshipKind
from keel.cmdb.models import CIType, ConfigurationItem


class CIForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="Unique, e.g. the host name: payments-db-01.")
    ci_type = forms.ModelChoiceField(label="Type", queryset=CIType.objects.order_by("name"), empty_label=None)
    criticality = forms.TypedChoiceField(choices=Criticality.choices, coerce=int, initial=Criticality.MEDIUM)
    status = forms.ChoiceField(choices=CIStatus.choices, initial=CIStatus.IN_SERVICE)
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.PRODUCTION)
    owner_team = forms.ModelChoiceField(required=False, queryset=Team.objects.all(), empty_label="None")
    support_group = forms.ModelChoiceField(required=False, queryset=Team.objects.all(), empty_label="None")
    location = forms.CharField(required=False, max_length=200)
    aliases = forms.CharField(required=False, help_text="Other names and host names, separated by semicolons.")
    attributes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='A JSON object, e.g. {"os": "Debian 13", "cpu": 8}.',
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    @staticmethod
    def initial_for(ci: ConfigurationItem) -> dict[str, Any]:
        return {
            "name": ci.name,
            "ci_type": ci.ci_type_id,
            "criticality": ci.criticality,
            "status": ci.status,
            "environment": ci.environment,
            "owner_team": ci.owner_team_id,
            "support_group": ci.support_group_id,
            "location": ci.location,
            "aliases": "; ".join(ci.aliases),
            "attributes": json.dumps(ci.attributes, ensure_ascii=False) if ci.attributes else "",
            "description": ci.description,
        }

    def clean_aliases(self) -> list[str]:
        return [alias.strip() for alias in self.cleaned_data["aliases"].split(";") if alias.strip()]

    def clean_attributes(self) -> dict[str, Any]:
        text = self.cleaned_data["attributes"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            raise forms.ValidationError('Give a JSON object, e.g. {"os": "Debian 13"}, or leave it empty.')
        return value

    def fields_for_action(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["description"] = str(data["description"]).replace("\r\n", "\n")
        return data


class RelationshipForm(forms.Form):
    kind = forms.ChoiceField(choices=RelationshipKind.choices, label="This CI")
    target = forms.CharField(
        max_length=200, label="CI", help_text="Exact name of the other CI, e.g. payments-db.", widget=forms.TextInput
    )
