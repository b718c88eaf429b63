"""Plumbing shared by the console views: who asks and who may, page-or-partial rendering, errors to forms."""

from collections.abc import Callable, Mapping
from functools import update_wrapper
from typing import Any, Concatenate

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails

from keel.accounts.models import User
from keel.incidents.models import Incident
from keel.incidents.queries.records import get_incident_for
from keel.lib.errors import KeelError, MissingField, NotFound


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def signed_in_user(request: HttpRequest) -> User:
    """The person asking; views are wrapped in login_required, so anything else is a misconfiguration."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Sign in first.")
    return user


def incident_for(request: HttpRequest, number: str) -> Incident:
    """The incident if this person may see it; 404 otherwise (never saying which)."""
    try:
        return get_incident_for(signed_in_user(request), number)
    except NotFound as error:
        raise Http404(error.message) from error


def wants_partial(request: HtmxHttpRequest) -> bool:
    # A history restore after a cache miss needs the whole page, not the fragment.
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_page_or_partial(
    request: HtmxHttpRequest,
    *,
    page: str,
    partial: str,
    context: Mapping[str, Any],
    status: int = 200,
) -> HttpResponse:
    """The partial for htmx, the whole page (which includes that same partial) otherwise."""
    response = render(request, partial if wants_partial(request) else page, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def show_error(form: forms.Form, error: KeelError) -> int:
    """Put an action's error next to the field it names (or atop the form) and return its HTTP status."""
    field = form.fields.get(error.field or "")
    shown = field is not None and not field.widget.is_hidden
    # A missing field gets the form's own plain-words "required" message; the action's names the API field.
    message = (
        field.error_messages.get("required", error.message)
        if isinstance(error, MissingField) and field
        else error.message
    )
    form.add_error(error.field if shown else None, message)
    return error.status


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


type View[R: HttpRequest, **P] = Callable[Concatenate[R, P], HttpResponseBase]


def guarded[R: HttpRequest, **P](
    may: Callable[[User], bool], refusal: str
) -> Callable[[Callable[Concatenate[R, User, P], HttpResponseBase]], View[R, P]]:
    """A console view for the signed-in people ``may`` allows (the others get 403 with
    ``refusal``); it is called with the person asking after the request."""

    def guard(view: Callable[Concatenate[R, User, P], HttpResponseBase]) -> View[R, P]:
        def guarded_view(request: R, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            user = signed_in_user(request)
            if not may(user):
                return forbidden(request, refusal)
            return view(request, user, *args, **kwargs)

        update_wrapper(guarded_view, view)
        return login_required(guarded_view)

    return guard
