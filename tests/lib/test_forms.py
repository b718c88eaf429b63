"""Form layouts as data: a form's fieldsets, less the fields it does not have (lib/forms.py)."""

from typing import Any

import pytest
from django import forms
from django.template.loader import render_to_string
from django.test.html import parse_html

from keel.cmdb import forms as cmdb_forms
from keel.incidents.forms import incident as incident_forms
from keel.integrations import forms as integration_forms
from keel.lib.forms import DrawnFieldset, DrawnRow, Fieldset, FieldsetForm, Partial

# Imported for their FieldsetForm subclasses, which the layout check below walks.
FORM_MODULES = (cmdb_forms, incident_forms, integration_forms)


class WorkForm(FieldsetForm):
    name = forms.CharField()
    starts = forms.CharField()
    ends = forms.CharField()
    owner = forms.CharField()
    token = forms.CharField(widget=forms.HiddenInput)

    fieldsets = (
        Fieldset("The work", ("name", ("starts", "ends"), Partial("hint.html"))),
        Partial("whole.html"),
        Fieldset("Who", (("owner",), Partial("people.html"))),
    )


def subclasses(cls: type[FieldsetForm]) -> list[type[FieldsetForm]]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in subclasses(child))]


def laid_out(form_class: type[FieldsetForm]) -> set[str]:
    """The field names a layout gives, alone or side by side."""
    rows = [row for part in form_class.fieldsets if isinstance(part, Fieldset) for row in part.rows]
    return {row for row in rows if isinstance(row, str)} | {
        name for row in rows if isinstance(row, tuple) for name in row
    }


@pytest.mark.parametrize("form_class", subclasses(FieldsetForm), ids=lambda form_class: form_class.__name__)
def test_a_layout_names_only_fields_its_form_declares(form_class: type[FieldsetForm]) -> None:
    # A misspelt name would otherwise vanish from the page like a field the form leaves out.
    assert laid_out(form_class) <= set(form_class.base_fields)


def test_fields_are_drawn_alone_or_side_by_side_with_the_partials_where_named() -> None:
    form = WorkForm()

    assert form.drawn_fieldsets() == [
        DrawnFieldset(
            legend="The work",
            rows=[
                DrawnRow(fields=[form["name"]]),
                DrawnRow(fields=[form["starts"], form["ends"]], grid=True),
                DrawnRow(template="hint.html"),
            ],
        ),
        DrawnFieldset(template="whole.html"),
        DrawnFieldset(
            legend="Who", rows=[DrawnRow(fields=[form["owner"]], grid=True), DrawnRow(template="people.html")]
        ),
    ]


def test_a_field_the_form_lacks_is_left_out_and_so_is_a_fieldset_left_without_fields() -> None:
    form = WorkForm()
    del form.fields["ends"], form.fields["owner"]

    assert form.drawn_fieldsets() == [
        DrawnFieldset(
            legend="The work",
            rows=[
                DrawnRow(fields=[form["name"]]),
                DrawnRow(fields=[form["starts"]], grid=True),
                DrawnRow(template="hint.html"),
            ],
        ),
        DrawnFieldset(template="whole.html"),
    ]


def test_the_partial_draws_hidden_fields_then_each_fieldset_with_the_field_partial(
    settings: Any, tmp_path: Any
) -> None:
    for name, text in {
        "hint.html": '<p class="hint">Hint</p>',
        "whole.html": "<fieldset><legend>Whole</legend></fieldset>",
    }.items():
        (tmp_path / name).write_text(text)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    form = WorkForm(initial={"token": "t"})
    del form.fields["owner"]

    drawn = render_to_string("partials/fieldsets.html", {"form": form})

    def field(name: str) -> str:
        return render_to_string("partials/field.html", {"field": form[name]})

    assert parse_html(drawn) == parse_html(
        f'<input type="hidden" name="token" value="t" id="id_token">'
        f"<fieldset><legend>The work</legend>{field('name')}"
        f'<div class="form-grid">{field("starts")}{field("ends")}</div><p class="hint">Hint</p></fieldset>'
        "<fieldset><legend>Whole</legend></fieldset>"
    )
