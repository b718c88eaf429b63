"""What the monitoring console views share: who may read and manage, refusals, page windows."""

from django import forms
from django.http import HttpRequest, HttpResponse

from keel.incidents.queries.listing import Page
from keel.incidents.views.common import forbidden
from keel.integrations.models import Alert

STAFF_ONLY = "Alerts and monitoring sources are for IT staff."
MANAGERS_ONLY = "Only incident managers and administrators manage monitoring sources and maintenance windows."


def not_staff(request: HttpRequest) -> HttpResponse:
    return forbidden(request, STAFF_ONLY)


def not_manager(request: HttpRequest) -> HttpResponse:
    return forbidden(request, MANAGERS_ONLY)


def form_field(form: forms.Form, field: str | None) -> str | None:
    """The form field an action's error names, when the form shows it (else the error is the form's)."""
    return field if field in form.fields and not form.fields[field].widget.is_hidden else None


def window(page: Page[Alert] | None) -> dict[str, int | None] | None:
    """First and last row numbers shown, and the offsets of the neighbouring pages."""
    if page is None or not page.items:
        return None
    last = page.offset + len(page.items)
    more = page.count_is_capped or last < page.count
    return {
        "first": page.offset + 1,
        "last": last,
        "previous": max(0, page.offset - page.limit) if page.offset > 0 else None,
        "next": last if more else None,
    }
