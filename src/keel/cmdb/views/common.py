"""What the CMDB's console views share: the signed-in user, who may change, a form's save and page."""

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, Concatenate

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from keel.accounts.models import User
from keel.cmdb.kinds import FIELD_OF_NAME
from keel.cmdb.permissions import can_manage_cmdb
from keel.lib.errors import KeelError, NotFound

type View[**P] = Callable[Concatenate[HttpRequest, P], HttpResponse]
MAY_NOT_CHANGE = "Only configuration managers and administrators can change the CMDB."


def signed_in_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", {"message": MAY_NOT_CHANGE}, status=403)


def managers_only[**P](view: View[P]) -> View[P]:
    """A view that changes the CMDB: everyone else gets the refusal page (the actions refuse them too)."""

    @wraps(view)
    def checked(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not can_manage_cmdb(signed_in_user(request)):
            return forbidden(request)
        return view(request, *args, **kwargs)

    return checked


def found[T](find: Callable[[int], T], pk: int) -> T:
    """The record a ``get_*`` query finds for the URL, or the 404 page with its message."""
    try:
        return find(pk)
    except NotFound as error:
        raise Http404(error.message) from error


def form_field(form: forms.Form, field: str | None) -> str | None:
    """The form field an action's error names, when the form has it (else the error is the form's)."""
    name = FIELD_OF_NAME.get(field or "", field)
    return name if name in form.fields else None


def saved[T](request: HttpRequest, form: forms.Form, save: Callable[[], T]) -> T | None:
    """What ``save`` (an action) returns for a valid POSTed form; None when nothing was posted, the
    form is not valid, or the action refused (its reason then shows on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return save()
    except KeelError as error:
        form.add_error(form_field(form, error.field), error.message)
        return None


def form_page(request: HttpRequest, template: str, form: forms.Form, context: Mapping[str, Any]) -> HttpResponse:
    """The page of a form: 400 when it came back with errors."""
    status = 400 if form.is_bound else 200
    return render(request, template, {"nav": "cmdb", "form": form, **context}, status=status)
