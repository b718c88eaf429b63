"""Log and edit an incident: the arguments of ``open_incident`` and ``update_incident``."""

from collections.abc import Iterable, Iterator
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.urls import reverse_lazy

from keel.accounts.models import Team, User
from keel.accounts.queries import user_by_reference
from keel.cmdb.models import ConfigurationItem, Service
from keel.cmdb.queries import ci_by_reference
from keel.incidents.forms.fields import CategoryChoiceField, PersonChoiceField, level_choices, level_field, resolved
from keel.incidents.models import Category, Incident
from keel.incidents.permissions import can_log_incident_for_others
from keel.incidents.queries.records import categories, get_incident_for
from keel.incidents.states import Channel, Level
from keel.lib.forms import Fieldset, FieldsetForm, Partial
from keel.lib.text import DESCRIPTION_MAX

# Drawn by hand: the priority preview stands among these fields, and only where the form asks for impact.
WHAT_IS_WRONG = Partial("incidents/partials/what_is_wrong.html")


class IncidentFieldsForm(FieldsetForm):
    """The fields an incident is described by, shared by the create and edit forms."""

    title = forms.CharField(
        required=False,
        help_text="One line that says what is wrong, e.g. “Outlook cannot connect to the mail server”.",
        widget=forms.TextInput(attrs={"required": True, "maxlength": 200, "autocomplete": "off"}),
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX,
        required=False,
        help_text="What happens, since when, what was tried, error messages.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    channel = forms.TypedChoiceField(
        label="How was it reported?", choices=Channel.choices, coerce=Channel, initial=Channel.PHONE
    )
    impact = level_field("Impact", "How much of the business is affected: many people or a whole service is high.")
    urgency = level_field("Urgency", "How soon it hurts: work stopped now is high.")
    category = forms.ChoiceField(required=False)  # replaced in __init__ with the live category tree
    subcategory = forms.ChoiceField(required=False)
    service = forms.ModelChoiceField(
        required=False,
        queryset=Service.objects.all(),
        empty_label="Not known",
        error_messages={"invalid_choice": "Pick one of the listed services."},
    )
    ci = forms.CharField(
        required=False,
        label="Configuration item",
        help_text="The exact name of the server, application or device, if known.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        roots = list(categories())
        by_id: dict[int, Category] = {}
        category_choices: list[tuple[Any, Any]] = [("", "Not known")]
        subcategory_choices: list[tuple[Any, Any]] = [("", "Not known")]
        for root in roots:
            by_id[root.pk] = root
            category_choices.append((root.pk, root.name))
            children = [child for child in root.children.all() if child.is_active]
            by_id.update({child.pk: child for child in children})
            if children:
                subcategory_choices.append((root.name, [(child.pk, child.name) for child in children]))
        self.fields["category"] = CategoryChoiceField(by_id=by_id, choices=category_choices)
        self.fields["subcategory"] = CategoryChoiceField(
            by_id=by_id, choices=subcategory_choices, help_text="Listed under its category."
        )
        # Keep the declared order: the replacement fields went to the end.
        self.order_fields(list(type(self).base_fields))

    def clean_description(self) -> str:
        # Browsers send CRLF; storing LF keeps an unchanged description from counting as an edit.
        return str(self.cleaned_data["description"]).replace("\r\n", "\n")

    def clean_ci(self) -> ConfigurationItem | None:
        reference = self.cleaned_data["ci"].strip()
        return resolved(lambda: ci_by_reference(reference)) if reference else None

    def clean_caller(self) -> User | None:
        reference = self.cleaned_data["caller"].strip()
        return resolved(lambda: user_by_reference(reference, field="caller")) if reference else None


class IncidentCreateForm(IncidentFieldsForm):
    """Log (or, for a requester, report) an incident: the arguments of ``open_incident``."""

    caller = forms.CharField(
        required=False,
        help_text="Username of the person affected; start typing a name for suggestions. Leave empty if it is you.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "list": "caller-options",
                "hx-get": reverse_lazy("incidents:callers"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#caller-options",
            }
        ),
    )
    assignment_group = forms.ModelChoiceField(
        required=False,
        queryset=Team.objects.all(),
        empty_label="Leave in the service desk's triage",
        error_messages={"invalid_choice": "Pick one of the listed groups."},
    )
    assignee = PersonChoiceField(
        required=False,
        empty_label="Nobody yet",
        help_text="Must be a member of the assignment group.",
        error_messages={"invalid_choice": "Pick one of the listed people."},
    )

    # Who and how first; the rest follows in the order the fields are declared.
    field_order = ["caller", "channel"]

    fieldsets = (
        Fieldset("Who reported it", (("caller", "channel"), Partial("incidents/partials/caller_datalist.html"))),
        WHAT_IS_WRONG,
        Fieldset("Where", (("category", "subcategory", "service", "ci"), Partial("incidents/partials/ci_lookup.html"))),
        Fieldset("Who works on it", (("assignment_group", "assignee"),)),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.order_fields(self.field_order)
        if not can_log_incident_for_others(user):
            # A requester reports for themselves and says how urgent it is for them; where it came
            # in, its impact and who works on it are the service desk's to say.
            for name in ("caller", "channel", "impact", "assignment_group", "assignee"):
                del self.fields[name]
            urgency = self.fields["urgency"]
            urgency.label, urgency.help_text = "How urgent is it for you?", "High: your work has stopped now."
            urgency.widget.attrs = {}  # no priority preview: the service desk sets the impact
        else:
            # The service desk sees what depends on the CI (and Keel's impact proposal) as it is typed.
            self.fields["ci"].widget.attrs.update(
                {
                    "hx-get": reverse_lazy("incidents:ci-context"),
                    "hx-trigger": "change, input changed delay:400ms",
                    "hx-target": "#ci-context",
                }
            )

    @property
    def logs_for_others(self) -> bool:
        return "caller" in self.fields

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "caller": data.get("caller") or self.user,
            "title": data["title"],
            "description": data["description"],
            "channel": data.get("channel"),
            "category": data["category"],
            "subcategory": data["subcategory"],
            "service": data["service"],
            "ci": data["ci"],
            "impact": data.get("impact"),
            "urgency": data["urgency"],
        }
        if self.logs_for_others:
            kwargs.update(assignment_group=data["assignment_group"], assignee=data["assignee"])
        return kwargs


class IncidentEditForm(IncidentFieldsForm):
    """Change an incident's fields: the ``changes`` and, as ``version``, the ``if_match`` of ``update_incident``."""

    caller = forms.CharField(
        help_text="Username of the person affected.",
        error_messages={"required": "Give the username of the person affected."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    parent = forms.CharField(
        required=False,
        label="Parent incident",
        help_text="Number of the incident this one is part of, e.g. INC0000042.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    # The caller after what is wrong; the rest follows in the order the fields are declared.
    field_order = ["title", "description", "caller"]

    fieldsets = (
        WHAT_IS_WRONG,
        Fieldset("Who and where", (("caller", "channel", "category", "subcategory", "service", "ci", "parent"),)),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.order_fields(self.field_order)
        for name, field in self.fields.items():
            # Each field also sends back the value the person started from, to tell their
            # changes from someone else's when the version turns out stale.
            field.show_hidden_initial = name != "version"

    @staticmethod
    def initial_for(incident: Incident) -> dict[str, Any]:
        return {
            "title": incident.title,
            "description": incident.description,
            "caller": incident.caller.username,
            "channel": incident.channel,
            "impact": incident.impact,
            "urgency": incident.urgency,
            "category": incident.category_id or "",
            "subcategory": incident.subcategory_id or "",
            "service": incident.service_id,
            "ci": incident.ci.name if incident.ci is not None else "",
            "parent": incident.parent.number if incident.parent is not None else "",
            "version": incident.version,
        }

    def clean_parent(self) -> Incident | None:
        reference = self.cleaned_data["parent"].strip()
        return resolved(lambda: get_incident_for(self.user, reference)) if reference else None

    def changes(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}

    def rebased_on(self, incident: Incident) -> "IncidentEditForm":
        """This form moved onto the version stored now, after someone else saved meanwhile.

        Each field carries the value the person first saw (Django's hidden initial). A field only the
        other person changed takes their value; a field both changed keeps what was typed. Either
        way the field says what was saved, so nothing is lost and nothing is silently overwritten.
        """
        stored = self.initial_for(incident)
        data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
        notes: dict[str, str] = {}
        for name, field in self.fields.items():
            if name == "version":
                continue
            seen, typed = self.data.get(self.add_initial_prefix(name), ""), self.data.get(self.add_prefix(name), "")
            now = "" if stored[name] is None else str(stored[name])
            if _same(now, seen):
                continue
            data[self.add_initial_prefix(name)] = now
            shown = _display(field, now)
            if _same(typed, seen):
                data[self.add_prefix(name)] = now
                notes[name] = f"Someone else changed this meanwhile to “{shown}”; it now shows their value."
            elif not _same(typed, now):
                notes[name] = f"Someone else saved “{shown}” here meanwhile; what you typed is kept."
        data[self.add_prefix("version")] = str(incident.version)
        rebased = IncidentEditForm(data, user=self.user)
        for name, note in notes.items():
            rebased.fields[name].stale_note = note  # type: ignore[attr-defined]
        return rebased


class PriorityPreviewForm(forms.Form):
    impact = forms.TypedChoiceField(choices=level_choices(), coerce=lambda value: Level(int(value)))
    urgency = forms.TypedChoiceField(choices=level_choices(), coerce=lambda value: Level(int(value)))


def _same(first: object, second: object) -> bool:
    """Equal as submitted text: browsers send CRLF line ends and surrounding blanks do not count."""
    return _text(first) == _text(second)


def _text(value: object) -> str:
    return "" if value is None else str(value).replace("\r\n", "\n").strip()


def _display(field: forms.Field, value: Any) -> str:
    if value in (None, ""):
        return "(empty)"
    if isinstance(field, forms.ChoiceField):
        for key, label in _flat_choices(cast("Iterable[tuple[Any, Any]]", field.choices)):
            if str(key) == str(value):
                return str(label)
    return str(value)


def _flat_choices(choices: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    for key, label in choices:
        if isinstance(label, list | tuple):
            yield from label
        else:
            yield key, label
