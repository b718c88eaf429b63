"""Field types shared by the console's forms."""

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy

from keel.accounts.models import User
from keel.accounts.queries import staff_users
from keel.incidents.models import Category
from keel.incidents.states import PRIORITY_NAMES, Level, Priority
from keel.lib.errors import KeelError


def priority_choice_label(priority: Priority) -> str:
    return f"{priority.label} {PRIORITY_NAMES[priority]}"


def level_choices() -> list[tuple[int, str]]:
    return [(level.value, level.label.capitalize()) for level in Level]


class CategoryChoiceField(forms.ChoiceField):
    """A category picked from the active tree; cleans to the Category (or None)."""

    def __init__(self, *, by_id: Mapping[int, Category], **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.by_id = by_id

    def clean(self, value: Any) -> Category | None:
        chosen = super().clean(value)
        return self.by_id[int(chosen)] if chosen else None


class PersonChoiceField(forms.ModelChoiceField[User]):
    """Staff to pick from, each shown with their groups so the right one is easy to find."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=staff_users().prefetch_related("teams"), **kwargs)

    def label_from_instance(self, obj: User) -> str:
        teams = ", ".join(team.name for team in obj.teams.all())
        return f"{obj} ({teams})" if teams else str(obj)


def level_field(label: str, help_text: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=level_choices(),
        coerce=lambda value: Level(int(value)),
        initial=Level.LOW,
        widget=forms.Select(
            attrs={
                "hx-get": reverse_lazy("incidents:priority-preview"),
                "hx-trigger": "change",
                "hx-target": "#priority-preview",
                # Impact and urgency each ask for a preview; the later question replaces the earlier,
                # so a slow first answer cannot overwrite the second.
                "hx-sync": "#priority-preview:replace",
                "hx-include": "[name='impact'], [name='urgency']",
            }
        ),
    )


def resolved[T](lookup: Callable[[], T]) -> T:
    """Run a reference lookup, turning its KeelError into a field error."""
    try:
        return lookup()
    except KeelError as error:
        raise ValidationError(error.message) from error
