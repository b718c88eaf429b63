"""Console forms for the CMDB: the arguments of ``create_ci`` / ``update_ci``, ``relate``,
``create_service`` / ``update_service``, and a CSV file to import."""

import json
from typing import Any

from django import forms
from django.forms.models import model_to_dict

from keel.accounts.models import Team
from keel.cmdb.kinds import CIStatus, Criticality, Environment, RelationshipKind
from keel.cmdb.models import CIType, ConfigurationItem, Service
from keel.cmdb.queries import ci_by_reference
from keel.cmdb.text import aliases_from_text, attributes_from_text
from keel.lib.errors import KeelError
from keel.lib.forms import Fieldset, FieldsetForm
from keel.lib.text import DESCRIPTION_MAX


class CIForm(FieldsetForm):
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
    description = forms.CharField(required=False, max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 3}))

    fieldsets = (
        Fieldset("What it is", (("name", "ci_type", "criticality", "status", "environment", "location"),)),
        Fieldset("Who looks after it", (("owner_team", "support_group"),)),
        Fieldset("More", ("aliases", "attributes", "description")),
    )

    @staticmethod
    def initial_for(ci: ConfigurationItem) -> dict[str, Any]:
        return {
            **model_to_dict(ci, fields=list(CIForm.base_fields)),
            "aliases": "; ".join(ci.aliases),
            "attributes": json.dumps(ci.attributes, ensure_ascii=False) if ci.attributes else "",
        }

    def clean_aliases(self) -> list[str]:
        return aliases_from_text(self.cleaned_data["aliases"])

    def clean_attributes(self) -> dict[str, Any]:
        value = attributes_from_text(self.cleaned_data["attributes"].strip())
        if value is None:
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


class ServiceForm(FieldsetForm):
    """A business service: who uses it, how much it matters, and the CI that places it in the graph."""

    name = forms.CharField(max_length=150, help_text="As people call it, e.g. Online shop.")
    users = forms.IntegerField(min_value=0, initial=0, help_text="How many people use it.")
    criticality = forms.TypedChoiceField(
        label="Business criticality", choices=Criticality.choices, coerce=int, initial=Criticality.MEDIUM
    )
    owner_team = forms.ModelChoiceField(required=False, queryset=Team.objects.all(), empty_label="None")
    ci = forms.CharField(
        required=False,
        max_length=200,
        label="Configuration item",
        help_text="Exact name of the CI that stands for it in the dependency graph.",
    )
    description = forms.CharField(required=False, max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 3}))

    fieldsets = (
        Fieldset("The service", (("name", "users", "criticality", "owner_team"), "description")),
        Fieldset("Where it sits in the dependency graph", ("ci",)),
    )

    def __init__(self, *args: Any, service: Service | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        self.fields["ci"].help_text += (
            " Leave it empty to take the service out of the graph."
            if service is not None
            else " Leave it empty and Keel adds one with the service's name."
        )

    @staticmethod
    def initial_for(service: Service) -> dict[str, Any]:
        return {
            **model_to_dict(service, fields=list(ServiceForm.base_fields)),
            "ci": service.ci.name if service.ci is not None else "",
        }

    def clean_ci(self) -> ConfigurationItem | None:
        reference = self.cleaned_data["ci"].strip()
        if not reference:
            return None
        try:
            return ci_by_reference(reference)
        except KeelError as error:
            raise forms.ValidationError(f"No CI named {reference!r}; give the exact name of an existing CI.") from error

    def fields_for_action(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["description"] = str(data["description"]).replace("\r\n", "\n")
        return data


class ImportForm(forms.Form):
    what = forms.ChoiceField(
        label="What the file holds",
        choices=[("cis", "Configuration items"), ("relationships", "Relationships")],
        widget=forms.RadioSelect,
        initial="cis",
        error_messages={"required": "Say whether the file holds configuration items or relationships."},
    )
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, with the column names on the first line.",
        error_messages={"required": "Choose a CSV file to import.", "empty": "The file is empty; choose another."},
    )
