"""Console forms for the reports: the audit trail's filters, as the query string carries them."""

from typing import Any

from django import forms

from keel.lib.doors import Door
from keel.reporting.audit import MAX_ID

PAGE_SIZES = [(50, "50"), (100, "100")]


class AuditFilterForm(forms.Form):
    """What ``parse_audit_filters`` takes, as people type it; its refusals go next to the field they name."""

    actor = forms.CharField(required=False, label="Who", max_length=150, help_text="Username")
    subject_type = forms.CharField(
        required=False, label="Record type", max_length=32, help_text="incident, ci, user, team, sla_policy…"
    )
    subject_id = forms.IntegerField(required=False, label="Record id", min_value=1, max_value=MAX_ID)
    door = forms.ChoiceField(required=False, label="Door", choices=[("", "Any door"), *Door.choices])
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    limit = forms.TypedChoiceField(required=False, label="Per page", choices=PAGE_SIZES, coerce=int)
    offset = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("actor", "subject_type"):
            self.fields[name].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def words(self) -> dict[str, Any]:
        """The filters as ``parse_audit_filters`` takes them."""
        data = self.cleaned_data
        return {
            "actor": data["actor"],
            "subject_type": data["subject_type"],
            "subject_id": data["subject_id"],
            "door": data["door"],
            "since": data["since"].isoformat() if data["since"] else None,
            "until": data["until"].isoformat() if data["until"] else None,
        }

    @property
    def page_offset(self) -> int:
        return int(self.cleaned_data.get("offset") or 0)

    @property
    def page_limit(self) -> int:
        return int(self.cleaned_data.get("limit") or 50)
