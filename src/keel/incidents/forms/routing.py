"""Console forms for routing: a rule as people describe it (categories and services by name, words
separated by commas) turned into the fields ``create_rule`` / ``update_rule`` take, and the rule
tester's sample incident."""

from collections.abc import Iterable
from typing import Any

from django import forms

from keel.accounts.models import Team
from keel.cmdb.models import CIType, ConfigurationItem, Service
from keel.cmdb.queries import ci_by_reference
from keel.incidents.models import Category
from keel.incidents.states import Channel, Level, Priority
from keel.lib.errors import KeelError
from keel.lib.forms import Fieldset, FieldsetForm
from keel.routing.models import RoutingRule

LEVEL_CHOICES = [("", "Keep what was given"), *((str(level.value), level.label) for level in Level)]
VIP_CHOICES = [("", "Any caller"), ("true", "VIP callers only"), ("false", "Callers who are not VIPs")]


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


class RoutingRuleForm(FieldsetForm):
    fieldsets = (
        Fieldset("The rule", (("name", "assignment_group", "position", "is_active"), "description")),
        Fieldset(
            "When — every condition you fill must hold; an empty one matches anything",
            (
                "words",
                ("categories", "subcategories", "services", "ci_types"),
                "cis",
                ("channels", "priorities", "caller_vip", "caller_departments", "caller_locations"),
            ),
        ),
        Fieldset("Incidents from monitoring", (("source_ids", "labels"),)),
        Fieldset("Then", (("set_impact", "set_urgency"),)),
    )

    name = forms.CharField(max_length=100, help_text="Say what it catches, e.g. “Wi-Fi on site”.")
    assignment_group = forms.ModelChoiceField(
        label="Route to", queryset=Team.objects.order_by("name"), empty_label=None
    )
    position = forms.IntegerField(
        min_value=0, max_value=2**31 - 1, initial=100, help_text="Rules are tried lowest first."
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)
    words = forms.CharField(
        required=False, help_text="Any of these in the title or description, separated by commas: wi-fi, wifi."
    )
    categories = forms.ModelMultipleChoiceField(
        required=False, queryset=Category.objects.filter(parent=None).order_by("name")
    )
    subcategories = forms.ModelMultipleChoiceField(
        required=False, queryset=Category.objects.exclude(parent=None).select_related("parent").order_by("name")
    )
    services = forms.ModelMultipleChoiceField(required=False, queryset=Service.objects.order_by("name"))
    ci_types = forms.ModelMultipleChoiceField(
        label="CI types", required=False, queryset=CIType.objects.order_by("name")
    )
    cis = forms.CharField(label="CIs", required=False, help_text="CI names, separated by commas.")
    channels = forms.MultipleChoiceField(required=False, choices=Channel.choices, widget=forms.CheckboxSelectMultiple)
    priorities = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        choices=[(priority.value, priority.label) for priority in Priority],
        widget=forms.CheckboxSelectMultiple,
    )
    caller_vip = forms.ChoiceField(label="Caller", required=False, choices=VIP_CHOICES)
    caller_departments = forms.CharField(label="Callers' departments", required=False, help_text="Separated by commas.")
    caller_locations = forms.CharField(label="Callers' locations", required=False, help_text="Separated by commas.")
    source_ids = forms.CharField(
        label="Monitoring source ids", required=False, help_text="For incidents opened from alerts: 3, 7."
    )
    labels = forms.CharField(
        label="Alert labels", required=False, help_text="All must be equal, e.g. site=paris, env=prod."
    )
    set_urgency = forms.ChoiceField(label="Set urgency", required=False, choices=LEVEL_CHOICES)
    set_impact = forms.ChoiceField(label="Set impact", required=False, choices=LEVEL_CHOICES)
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    @staticmethod
    def initial_for(rule: RoutingRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "assignment_group": rule.assignment_group_id,
            "position": rule.position,
            "is_active": rule.is_active,
            "words": ", ".join(rule.words),
            "categories": rule.category_ids,
            "subcategories": rule.subcategory_ids,
            "services": rule.service_ids,
            "ci_types": rule.ci_type_ids,
            "cis": ", ".join(_names_of(rule.ci_ids)),
            "channels": rule.channels,
            "priorities": rule.priorities,
            "caller_vip": "" if rule.caller_vip is None else str(rule.caller_vip).lower(),
            "caller_departments": ", ".join(rule.caller_departments),
            "caller_locations": ", ".join(rule.caller_locations),
            "source_ids": ", ".join(map(str, rule.source_ids)),
            "labels": ", ".join(f"{name}={value}" for name, value in rule.labels.items()),
            "set_urgency": str(rule.set_urgency or ""),
            "set_impact": str(rule.set_impact or ""),
            "description": rule.description,
        }

    def clean_cis(self) -> list[int]:
        try:
            return [ci_by_reference(name, field="cis").pk for name in _words(self.cleaned_data["cis"])]
        except KeelError as error:
            raise forms.ValidationError(error.message) from error

    def clean_source_ids(self) -> list[int]:
        words = _words(self.cleaned_data["source_ids"])
        if not all(word.isascii() and word.isdigit() and 0 < int(word) < 2**31 for word in words):
            raise forms.ValidationError("Give source ids (whole numbers), separated by commas.")
        return [int(word) for word in words]

    def clean_labels(self) -> dict[str, str]:
        pairs = [word.partition("=") for word in _words(self.cleaned_data["labels"])]
        if not all(name.strip() and equals for name, equals, _ in pairs):
            raise forms.ValidationError("Write each label as name=value, separated by commas: site=paris.")
        return {name.strip(): value.strip() for name, _, value in pairs}

    def fields_for_action(self) -> dict[str, Any]:
        """The rule's fields as ``create_rule`` / ``update_rule`` take them."""
        data = self.cleaned_data
        vip = data["caller_vip"]
        return {
            "name": data["name"],
            "assignment_group": data["assignment_group"],
            "position": data["position"],
            "is_active": data["is_active"],
            "words": _words(data["words"]),
            "category_ids": _ids(data["categories"]),
            "subcategory_ids": _ids(data["subcategories"]),
            "service_ids": _ids(data["services"]),
            "ci_type_ids": _ids(data["ci_types"]),
            "ci_ids": data["cis"],
            "channels": list(data["channels"]),
            "priorities": list(data["priorities"]),
            "caller_vip": None if vip == "" else vip == "true",
            "caller_departments": _words(data["caller_departments"]),
            "caller_locations": _words(data["caller_locations"]),
            "source_ids": data["source_ids"],
            "labels": data["labels"],
            "set_urgency": int(data["set_urgency"]) if data["set_urgency"] else None,
            "set_impact": int(data["set_impact"]) if data["set_impact"] else None,
            "description": data["description"].replace("\r\n", "\n"),
        }


def _ids(records: Iterable[Any]) -> list[int]:
    return [record.pk for record in records]


def _names_of(ci_ids: list[int]) -> list[str]:
    names = dict(ConfigurationItem.objects.filter(pk__in=ci_ids).values_list("pk", "name"))
    return [names[pk] for pk in ci_ids if pk in names]


class RoutingTestForm(forms.Form):
    """A sample incident for the rule tester."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    category = forms.ModelChoiceField(
        required=False, queryset=Category.objects.filter(parent=None).order_by("name"), empty_label="None"
    )
    subcategory = forms.ModelChoiceField(
        required=False,
        queryset=Category.objects.exclude(parent=None).select_related("parent").order_by("name"),
        empty_label="None",
    )
    service = forms.ModelChoiceField(required=False, queryset=Service.objects.order_by("name"), empty_label="None")
    ci = forms.CharField(label="CI", required=False, help_text="Its name.")
    impact = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=[("", "Keel's proposal"), *Level.choices]
    )
    urgency = forms.TypedChoiceField(coerce=int, choices=Level.choices, initial=Level.LOW)

    def clean_ci(self) -> Any:
        name = self.cleaned_data["ci"].strip()
        try:
            return ci_by_reference(name, field="ci") if name else None
        except KeelError as error:
            raise forms.ValidationError(error.message) from error
