"""Console forms for monitoring: the alert list's filters, a new source, a maintenance window.

Each form parses what people type into the arguments of one action or query; the rules stay in
the actions (``create_source``, ``create_maintenance_window``), whose refusals the views put next
to the field they name.
"""

import json
import re
from collections.abc import Callable
from typing import Any, Final

from django import forms

from keel.accounts.models import Team
from keel.cmdb.models import ConfigurationItem, Service
from keel.cmdb.queries import ci_by_reference, service_by_reference
from keel.integrations.inbound.generic.presets import PRESETS
from keel.integrations.inbound.parsed import Severity
from keel.integrations.models import Source
from keel.integrations.queries.filters import ACTIVE_WORD, FilterWords
from keel.integrations.states import AlertStatus, SourceKind
from keel.lib.errors import KeelError
from keel.lib.forms import Fieldset, FieldsetForm, Partial
from keel.lib.text import DESCRIPTION_MAX

# What a datetime-local input sends (seconds when its step asks for them).
DATETIME_FORMAT: Final = "%Y-%m-%dT%H:%M"
INPUT_FORMATS: Final = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S"]
# label, operator, value: env=staging, instance=~"db.*", team!=payments
MATCHER_LINE: Final = re.compile(r"^\s*([^=!~\s]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


class AlertFilterForm(forms.Form):
    """The alert list's filters, as the query string carries them."""

    q = forms.CharField(required=False, label="Summary contains", max_length=200)
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), (ACTIVE_WORD, "Active (firing or acknowledged)"), *AlertStatus.choices],
    )
    severity = forms.ChoiceField(
        required=False, choices=[("", "Any severity"), *((level.value, level.value.title()) for level in Severity)]
    )
    source = forms.ChoiceField(required=False, choices=[])
    incident = forms.CharField(required=False, label="Incident", max_length=20, help_text="e.g. INC0000042")
    flapping = forms.BooleanField(required=False, label="Flapping only")
    suppressed = forms.BooleanField(required=False, label="Suppressed by maintenance only")
    offset = forms.IntegerField(required=False, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = Source.objects.order_by("name").values_list("name", flat=True)
        source = self.fields["source"]
        assert isinstance(source, forms.ChoiceField)
        source.choices = [("", "Any source"), *((name, name) for name in names)]
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})
        self.fields["incident"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def words(self) -> FilterWords:
        data = self.cleaned_data
        return FilterWords(
            status=data["status"],
            severity=data["severity"],
            source=data["source"],
            q=data["q"],
            incident=data["incident"],
            flapping="true" if data["flapping"] else None,
            suppressed="true" if data["suppressed"] else None,
        )

    @property
    def page_offset(self) -> int:
        return int(self.cleaned_data.get("offset") or 0)


class SourceForm(FieldsetForm):
    """A new monitoring source: the arguments of ``create_source``."""

    name = forms.CharField(max_length=100, help_text="Unique, e.g. prod-alertmanager.")
    kind = forms.ChoiceField(label="Sends as", choices=SourceKind.choices, initial=SourceKind.ALERTMANAGER)
    description = forms.CharField(required=False, max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 2}))
    preset = forms.ChoiceField(
        required=False,
        label="Field mapping preset (generic webhook)",
        choices=[("", "None: I write the mapping below"), *((name, name.title()) for name in PRESETS)],
        help_text="Grafana's webhook contact point or a Zabbix webhook media type; leave the mapping empty to use it.",
    )
    mapping = forms.CharField(
        required=False,
        label="Field mapping (generic webhook)",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "mono"}),
        help_text='A JSON object naming where each part of an alert is, e.g. {"summary": "title", '
        '"severity": "level", "dedup_key": "id"}. Only for generic webhooks.',
    )
    identity_labels = forms.CharField(
        required=False,
        label="Labels that identify an alert",
        help_text="Separated by commas, e.g. alertname, instance. Empty: the sender's own key.",
    )
    expire_after_minutes = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=30 * 24 * 60,
        label="Expire alerts not re-sent for (minutes)",
        help_text="0 or empty: only when the sender's own lease runs out.",
    )
    assignment_group = forms.ModelChoiceField(
        required=False,
        queryset=Team.objects.order_by("name"),
        empty_label="None (the rule's or the CI's support group)",
        help_text="Who gets the incidents this source's alerts open.",
    )

    fieldsets = (
        Fieldset("The source", (("name", "kind"), "description")),
        Fieldset(
            "Generic webhook only: where each part of an alert is",
            ("preset", "mapping", Partial("integrations/partials/presets.html")),
        ),
        Fieldset("Alerts and incidents", (("identity_labels", "expire_after_minutes", "assignment_group"),)),
    )

    def clean_mapping(self) -> dict[str, Any] | None:
        text = self.cleaned_data["mapping"].strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"This is not JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
                'write an object such as {"summary": "title"}.'
            ) from error
        if not isinstance(value, dict):
            raise forms.ValidationError('Write a JSON object, such as {"summary": "title"}.')
        return value

    def clean_identity_labels(self) -> list[str]:
        return [label.strip() for label in self.cleaned_data["identity_labels"].split(",") if label.strip()]

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``create_source``: the written mapping, else the preset's."""
        data = self.cleaned_data
        mapping = data["mapping"]
        if mapping is None and data["preset"]:
            mapping = dict(PRESETS[data["preset"]])
        return {
            "name": data["name"],
            "kind": data["kind"],
            "description": data["description"].replace("\r\n", "\n"),
            "mapping": mapping,
            "identity_labels": data["identity_labels"],
            "expire_after_s": (data["expire_after_minutes"] or 0) * 60,
            "assignment_group": data["assignment_group"],
        }


def _found[T](find: Callable[[], T]) -> T:
    """What ``find`` finds; its refusal ("No configuration item 'x'; give …") as the field's error."""
    try:
        return find()
    except KeelError as error:
        raise forms.ValidationError(error.message) from error


def preset_json() -> list[tuple[str, str]]:
    """Each preset's mapping as the JSON a user would write, to copy from."""
    return [(name, json.dumps(mapping, indent=2)) for name, mapping in PRESETS.items()]


class MaintenanceWindowForm(FieldsetForm):
    """Planned work: the arguments of ``create_maintenance_window``."""

    name = forms.CharField(max_length=200, help_text="What work it covers, e.g. Database upgrade.")
    starts_at = forms.DateTimeField(
        label="Starts",
        input_formats=INPUT_FORMATS,
        widget=forms.DateTimeInput({"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    ends_at = forms.DateTimeField(
        label="Ends",
        input_formats=INPUT_FORMATS,
        widget=forms.DateTimeInput({"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    matchers = forms.CharField(
        required=False,
        label="Label matchers",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "mono"}),
        help_text="One per line, all must hold: env=staging, instance=~db.*, team!=payments.",
    )
    ci = forms.CharField(required=False, max_length=200, label="Configuration item", help_text="Its exact name.")
    service = forms.CharField(required=False, max_length=150, label="Business service", help_text="Its exact name.")
    reason = forms.CharField(required=False, max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 2}))

    fieldsets = (
        Fieldset(
            "The work", ("name", ("starts_at", "ends_at"), Partial("integrations/partials/zone_hint.html"), "reason")
        ),
        Fieldset("What it covers (at least one)", ("matchers", ("ci", "service"))),
    )

    def clean_matchers(self) -> list[dict[str, str]]:
        matchers = []
        for number, line in enumerate(self.cleaned_data["matchers"].splitlines(), start=1):
            if not line.strip():
                continue
            found = MATCHER_LINE.match(line)
            if found is None:
                raise forms.ValidationError(
                    f"Line {number} ({line.strip()!r}) is not a matcher: write label, an operator (=, !=, =~, !~) "
                    "and a value, e.g. env=staging."
                )
            label, op, value = found.groups()
            matchers.append({"label": label, "op": op, "value": value.strip().strip('"')})
        return matchers

    def clean_ci(self) -> ConfigurationItem | None:
        name = self.cleaned_data["ci"].strip()
        return _found(lambda: ci_by_reference(name, field="ci")) if name else None

    def clean_service(self) -> Service | None:
        name = self.cleaned_data["service"].strip()
        return _found(lambda: service_by_reference(name, field="service")) if name else None

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "matchers": data["matchers"],
            "ci": data["ci"],
            "service": data["service"],
            "reason": data["reason"].replace("\r\n", "\n"),
        }
