"""The steps taken on one incident: transition, assign, comment, attach."""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import TextChoices
from django.utils.datastructures import MultiValueDict

from keel.accounts.models import Team
from keel.incidents.forms.fields import PersonChoiceField
from keel.incidents.states import HoldReason, IncidentState, ResolutionCode
from keel.lib.text import COMMENT_MAX, NOTE_MAX


def _asked_choice(label: str, choices: type[TextChoices], *, prompt: str, missing: str) -> forms.TypedChoiceField:
    """A choice only some steps ask for: optional in the form, required by the action (whose
    MissingField is shown with the form's ``missing`` message)."""
    return forms.TypedChoiceField(
        required=False,
        label=label,
        choices=[("", prompt), *choices.choices],
        coerce=choices,
        empty_value=None,
        error_messages={"required": missing},
    )


class TransitionForm(forms.Form):
    """Move the incident along its lifecycle, with what the step asks for."""

    to = forms.TypedChoiceField(choices=IncidentState.choices, coerce=IncidentState, widget=forms.HiddenInput)
    resolution_code = _asked_choice(
        "Resolution code", ResolutionCode, prompt="Choose how it was resolved", missing="Choose how it was resolved."
    )
    resolution_notes = forms.CharField(
        max_length=NOTE_MAX,
        required=False,
        label="Resolution notes",
        help_text="What fixed it, in words the caller understands.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    hold_reason = _asked_choice(
        "Waiting for", HoldReason, prompt="Choose what it waits for", missing="Choose what it is waiting for."
    )
    note = forms.CharField(
        max_length=NOTE_MAX,
        required=False,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the resolution did not work, so the team knows what to look at."},
    )

    def __init__(
        self, data: Mapping[str, Any] | None = None, *, target: str, initial: dict[str, Any] | None = None
    ) -> None:
        slug = target if target in IncidentState.values else "unknown"
        super().__init__(data, initial=initial, auto_id=f"{slug}-%s")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A resolution's notes are also what the timeline says about that step (as resolve_incident does).
        if not data.get("note") and data.get("resolution_notes"):
            data["note"] = data["resolution_notes"]
        return data

    def action_kwargs(self) -> dict[str, Any]:
        names = ("note", "resolution_code", "resolution_notes", "hold_reason")
        return {name: self.cleaned_data[name] for name in names}


class EscalateForm(forms.Form):
    """Hand the incident to its group's next tier, saying why."""

    note = forms.CharField(
        max_length=NOTE_MAX,
        label="Why it needs the next tier",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why it needs the next tier."},
    )


class EscalateToManagerForm(forms.Form):
    """Tell the group's manager, saying why; the incident stays where it is."""

    note = forms.CharField(
        max_length=NOTE_MAX,
        label="Why the manager is needed",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the manager is needed."},
    )


class AssignForm(forms.Form):
    """Put the incident in a group's queue, optionally with a named person."""

    group = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        label="Assignment group",
        empty_label="Choose a group",
        error_messages={
            "required": "Pick the group that should work on it.",
            "invalid_choice": "Pick one of the listed groups.",
        },
    )
    assignee = PersonChoiceField(
        required=False,
        empty_label="Nobody yet (the whole group)",
        help_text="Must be a member of the group.",
        error_messages={"invalid_choice": "Pick one of the listed people."},
    )
    note = forms.CharField(
        required=False, max_length=NOTE_MAX, label="Note for the group", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, data: Mapping[str, Any] | None = None, *, initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial, auto_id="assign-%s")


class CommentForm(forms.Form):
    """A comment for the caller, or (staff only) an internal work note."""

    body = forms.CharField(
        max_length=COMMENT_MAX,
        required=False,
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 4, "required": True}),
    )
    public = forms.BooleanField(
        required=False,
        label="Public: the caller sees this",
        help_text="Leave unticked for an internal work note that only IT staff see.",
    )

    def __init__(self, data: Mapping[str, Any] | None = None, *, staff: bool) -> None:
        super().__init__(data, auto_id="comment-%s")
        if not staff:
            del self.fields["public"]

    @property
    def is_public(self) -> bool:
        return bool(self.cleaned_data.get("public")) if "public" in self.fields else True


class AttachForm(forms.Form):
    file = forms.FileField(
        label="File",
        error_messages={"required": "Choose a file to attach.", "empty": "That file is empty; choose another."},
    )
    public = forms.BooleanField(required=False, initial=True, label="Public: the caller can download it")

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        files: MultiValueDict[str, UploadedFile[Any]] | None = None,
        *,
        staff: bool,
    ) -> None:
        super().__init__(data, files, auto_id="attach-%s")
        if not staff:
            del self.fields["public"]

    @property
    def is_public(self) -> bool:
        return bool(self.cleaned_data.get("public")) if "public" in self.fields else True
