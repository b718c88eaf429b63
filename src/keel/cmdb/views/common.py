"""What the CMDB's console views share: the signed-in user, the refusal page, form-field mapping."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from keel.accounts.models import User

MAY_NOT_CHANGE = "Only configuration managers and administrators can change the CMDB."


def signed_in_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "403.html", {"message": MAY_NOT_CHANGE}, status=403)


def form_field(form: forms.Form, field: str | None) -> str | None:
    """The form field an action's error names, when the form has it (else the error is the form's)."""
    return field if field in form.fields else None
