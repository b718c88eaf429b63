"""The console's escalation policy form: conditions, and up to ``STEPS`` steps side by side, turned
into the fields ``create_policy`` / ``update_policy`` take. A step keeps its key at its place, so an
edited step does not fire again where it already fired."""

from typing import Any, Final

from django import forms

from keel.accounts.models import Team
from keel.escalation.models import EscalationPolicy
from keel.escalation.steps import TARGETS, WHEN
from keel.incidents.states import Channel, Priority
from keel.lib.forms import Fieldset, FieldsetForm

STEPS: Final = 4
WHEN_CHOICES: Final = [("", "— no step —"), *((key, text.capitalize()) for key, text in WHEN.items())]


def _step_rows(n: int) -> Fieldset:
    return Fieldset(
        f"Step {n}",
        (
            (f"step{n}_when", f"step{n}_minutes", f"step{n}_clock", f"step{n}_percent"),
            f"step{n}_notify",
            f"step{n}_page",
        ),
    )


def _step_fields(n: int) -> dict[str, forms.Field]:
    return {
        f"step{n}_when": forms.ChoiceField(label="When", choices=WHEN_CHOICES, required=False),
        f"step{n}_minutes": forms.IntegerField(
            label="After (minutes)",
            min_value=0,
            max_value=7 * 24 * 60,
            required=False,
            help_text="When nobody has responded or acknowledged the page.",
        ),
        f"step{n}_clock": forms.ChoiceField(
            label="SLA clock",
            choices=[("resolution", "Resolution"), ("response", "Response")],
            required=False,
            help_text="When the SLA is running out.",
        ),
        f"step{n}_percent": forms.IntegerField(
            label="At % of target", min_value=1, max_value=100, required=False, help_text="100: the breach."
        ),
        f"step{n}_notify": forms.MultipleChoiceField(
            label="Tell",
            choices=[(k, v.capitalize()) for k, v in TARGETS.items()],
            required=False,
            widget=forms.CheckboxSelectMultiple,
        ),
        f"step{n}_page": forms.BooleanField(label="Page them (ask for an acknowledgement)", required=False),
    }


class EscalationPolicyForm(FieldsetForm):
    fieldsets = (
        Fieldset("The policy", (("name", "position", "is_active"), "description")),
        Fieldset(
            "Which open incidents — an empty condition matches anything",
            (("priorities", "channels"), "groups"),
        ),
        *(_step_rows(n) for n in range(1, STEPS + 1)),
    )

    name = forms.CharField(max_length=100, help_text="E.g. “P1 and P2 response”.")
    position = forms.IntegerField(
        min_value=0, max_value=2**31 - 1, initial=100, help_text="The first active policy that matches applies."
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    priorities = forms.TypedMultipleChoiceField(
        choices=[(p.value, p.label) for p in Priority], coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    channels = forms.MultipleChoiceField(choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple)
    groups = forms.ModelMultipleChoiceField(
        label="Assignment groups", queryset=Team.objects.order_by("name"), required=False
    )

    def __init__(self, *args: Any, keys: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keys = keys or []

    @staticmethod
    def initial_for(policy: EscalationPolicy) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(policy, name)
            for name in ("name", "position", "is_active", "description", "priorities", "channels")
        }
        initial["groups"] = list(policy.group_ids)
        for n, step in enumerate(policy.steps, start=1):
            for name in ("when", "minutes", "clock", "percent", "notify", "page"):
                initial[f"step{n}_{name}"] = step.get(name)
        return initial

    def fields_for_action(self) -> dict[str, Any]:
        data = self.cleaned_data
        steps = []
        for n in range(1, STEPS + 1):
            when = data[f"step{n}_when"]
            if not when:
                continue
            step: dict[str, Any] = {"when": when, "notify": data[f"step{n}_notify"], "page": data[f"step{n}_page"]}
            if when == "sla":
                step |= {"clock": data[f"step{n}_clock"], "percent": data[f"step{n}_percent"]}
            else:
                step["minutes"] = data[f"step{n}_minutes"] if data[f"step{n}_minutes"] is not None else 0
            if n <= len(self.keys):
                step["key"] = self.keys[n - 1]
            steps.append(step)
        fields = {
            name: data[name] for name in ("name", "position", "is_active", "description", "priorities", "channels")
        }
        return {**fields, "group_ids": [team.pk for team in data["groups"]], "steps": steps}


# The steps' fields are the class's own, as if written out in its body: one set per step.
STEP_FIELDS: Final = {name: field for n in range(1, STEPS + 1) for name, field in _step_fields(n).items()}
EscalationPolicyForm.base_fields.update(STEP_FIELDS)
EscalationPolicyForm.declared_fields.update(STEP_FIELDS)
