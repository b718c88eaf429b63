"""What the monitoring console views share: who may read and manage, refusals, page windows."""

from collections.abc import Callable
from functools import update_wrapper
from typing import Concatenate

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from keel.accounts.models import User
from keel.incidents.queries.listing import Page
from keel.incidents.views.common import forbidden, signed_in_user
from keel.integrations.models import Alert
from keel.integrations.permissions import can_manage_integrations, can_see_alerts
from keel.lib.errors import NotFound

STAFF_ONLY = "Alerts and monitoring sources are for IT staff."
MANAGERS_ONLY = "Only incident managers and administrators manage monitoring sources and maintenance windows."

type View[R: HttpRequest, **P] = Callable[Concatenate[R, P], HttpResponse]


def guarded[R: HttpRequest, **P](
    may: Callable[[User], bool], refusal: str
) -> Callable[[Callable[Concatenate[R, User, P], HttpResponse]], View[R, P]]:
    """A console view for the signed-in people ``may`` allows (the others get 403 with
    ``refusal``); it is called with the person asking after the request."""

    def guard(view: Callable[Concatenate[R, User, P], HttpResponse]) -> View[R, P]:
        def guarded_view(request: R, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            user = signed_in_user(request)
            if not may(user):
                return forbidden(request, refusal)
            return view(request, user, *args, **kwargs)

        update_wrapper(guarded_view, view)
        return login_required(guarded_view)

    return guard


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
