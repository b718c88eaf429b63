"""What the monitoring console views share: who may read and manage, refusals, page windows."""

from collections.abc import Callable

from django import forms
from django.http import Http404

from keel.incidents.views.common import guarded
from keel.integrations.permissions import can_manage_integrations, can_see_alerts
from keel.lib.errors import NotFound

STAFF_ONLY = "Alerts and monitoring sources are for IT staff."
MANAGERS_ONLY = "Only incident managers and administrators manage monitoring sources and maintenance windows."

for_staff = guarded(can_see_alerts, STAFF_ONLY)
for_managers = guarded(can_manage_integrations, MANAGERS_ONLY)


def found[T](find: Callable[[], T]) -> T:
    """What ``find`` finds; its NotFound as the console's 404."""
    try:
        return find()
    except NotFound as error:
        raise Http404(error.message) from error


def form_field(form: forms.Form, field: str | None) -> str | None:
    """The form field an action's error names, when the form shows it (else the error is the form's)."""
    return field if field in form.fields and not form.fields[field].widget.is_hidden else None
