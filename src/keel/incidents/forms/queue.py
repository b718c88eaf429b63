"""The queue page's query string: which queue, filters, sort, search and the page window."""

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from django import forms
from django.http import QueryDict

from keel.accounts.models import Team, User
from keel.incidents.forms.fields import priority_choice_label
from keel.incidents.queries.listing import IncidentFilters, queue_filters
from keel.incidents.states import IncidentOrder, IncidentState, Priority

QUEUES: Final[Mapping[str, str]] = {
    "mine": "My work",
    "groups": "My groups",
    "unassigned": "Unassigned",
    "open": "All open",
}
ALL_QUEUE: Final = "all"
STAFF_DEFAULT_QUEUE: Final = "mine"

ORDER_LABELS: Final[Mapping[str, str]] = dict(IncidentOrder.choices)
PAGE_SIZES: Final = (25, 50, 100)
DEFAULT_PAGE_SIZE: Final = 50
DEFAULT_ORDER: Final = IncidentOrder.NEWEST


class QueueForm(forms.Form):
    """The queue page's query string: which queue, filters, sort, search and the page window."""

    queue = forms.ChoiceField(
        required=False, choices=[(key, label) for key, label in QUEUES.items()] + [(ALL_QUEUE, "All")]
    )
    q = forms.CharField(
        required=False,
        label="Search",
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "id": "search", "autocomplete": "off", "placeholder": "Title or INC number"}
        ),
    )
    state = forms.ChoiceField(required=False, choices=[("", "Any in this queue"), *IncidentState.choices])
    priority = forms.TypedChoiceField(
        required=False,
        choices=[("", "Any priority"), *[(p.value, priority_choice_label(p)) for p in Priority]],
        coerce=int,
        empty_value=None,
    )
    group = forms.ModelChoiceField(
        required=False,
        queryset=Team.objects.all(),
        empty_label="Any group",
        label="Assignment group",
        error_messages={"invalid_choice": "Pick one of the listed groups."},
    )
    order = forms.ChoiceField(required=False, label="Sort", choices=list(ORDER_LABELS.items()))
    offset = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    limit = forms.TypedChoiceField(
        required=False,
        label="Per page",
        choices=[(size, str(size)) for size in PAGE_SIZES],
        coerce=int,
        empty_value=None,
    )

    def __init__(self, data: Mapping[str, Any], *, user: User) -> None:
        # Defaults go into the data so the selects show what the list uses.
        given = data.dict() if isinstance(data, QueryDict) else dict(data)
        super().__init__({"order": DEFAULT_ORDER, "limit": str(DEFAULT_PAGE_SIZE), **given}, auto_id="filter-%s")
        self.user = user
        if not user.is_staff_member:
            # A requester's list is simply their own incidents: no team queues, no group filter.
            del self.fields["group"]

    @property
    def queue_name(self) -> str:
        if not self.user.is_staff_member:
            return ALL_QUEUE
        chosen = self.cleaned_data.get("queue") if self.is_bound and hasattr(self, "cleaned_data") else None
        return chosen or STAFF_DEFAULT_QUEUE

    @property
    def page_offset(self) -> int:
        return int(self.cleaned_data.get("offset") or 0)

    @property
    def page_limit(self) -> int:
        return int(self.cleaned_data.get("limit") or DEFAULT_PAGE_SIZE)

    def filters(self) -> IncidentFilters:
        """The named queue's filters, narrowed by what the person picked."""
        data = self.cleaned_data
        base = queue_filters(self.user, self.queue_name)
        changes: dict[str, Any] = {"text": data["q"].strip()}
        if data["state"]:
            changes["states"] = (IncidentState(data["state"]),)
        if data["priority"] is not None:
            changes["priorities"] = (Priority(data["priority"]),)
        group: Team | None = data.get("group")
        if group is not None:
            inside_queue = not base.assignment_group_ids or group.pk in base.assignment_group_ids
            # A group outside "my groups" matches nothing there, as queue_filters does for no groups.
            changes["assignment_group_ids"] = (group.pk,) if inside_queue else (0,)
        if data["order"] in IncidentOrder.values:
            changes["order"] = IncidentOrder(data["order"])
        return replace(base, **changes)
