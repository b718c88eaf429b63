"""Console form layouts as data: which fields each ``<fieldset>`` holds, in which order, which side by side.

A form lists its ``fieldsets`` as Django admin's ``ModelAdmin.fieldsets`` does, and
``partials/fieldsets.html`` draws them with ``partials/field.html``, so every form page has the same
markup and moving a field is a change to one list. A field the form does not have (a requester's
report has no caller) is left out, and so is a fieldset left without any field.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from django import forms


@dataclass(frozen=True)
class Partial:
    """Markup that is not a field (a hint, a panel, a whole hand-written fieldset), drawn where the
    layout names it, with the page's context."""

    template: str


type Row = str | tuple[str, ...] | Partial
"""A field by name; fields side by side in one ``form-grid``; or a partial."""


@dataclass(frozen=True)
class Fieldset:
    legend: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class DrawnRow:
    """A row as the partial draws it: its fields (in a ``form-grid`` when ``grid``) or a template."""

    fields: Sequence[forms.BoundField] = ()
    grid: bool = False
    template: str = ""


@dataclass(frozen=True)
class DrawnFieldset:
    """A fieldset as the partial draws it, or, with ``template``, a partial drawn in its place."""

    legend: str = ""
    rows: Sequence[DrawnRow] = ()
    template: str = ""


class FieldsetForm(forms.Form):
    """A console form drawn by ``partials/fieldsets.html`` from its ``fieldsets``."""

    fieldsets: ClassVar[Sequence[Fieldset | Partial]] = ()

    def drawn_fieldsets(self) -> list[DrawnFieldset]:
        drawn = []
        for part in self.fieldsets:
            if isinstance(part, Partial):
                drawn.append(DrawnFieldset(template=part.template))
                continue
            rows = [row for row in map(self._drawn_row, part.rows) if row.fields or row.template]
            if any(row.fields for row in rows):
                drawn.append(DrawnFieldset(legend=part.legend, rows=rows))
        return drawn

    def _drawn_row(self, row: Row) -> DrawnRow:
        if isinstance(row, Partial):
            return DrawnRow(template=row.template)
        names = (row,) if isinstance(row, str) else row
        return DrawnRow(fields=[self[name] for name in names if name in self.fields], grid=isinstance(row, tuple))
