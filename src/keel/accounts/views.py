from typing import Final

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from keel.accounts.actions import sign_in
from keel.accounts.forms import SignInForm
from keel.lib.middleware import client_address

# One answer for a wrong username, a wrong password and a throttled attempt: it tells none apart.
REFUSED: Final = (
    "That username and password do not match, or there were too many attempts. Check both; "
    "after several failures, wait a few minutes before trying again."
)


@require_http_methods(["GET", "POST"])
def sign_in_view(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = sign_in(request, username=data["username"], password=data["password"], address=client_address(request))
        if user is not None:
            login(request, user)
            return redirect(_next_url(request))
        form.add_error(None, REFUSED)
    status = 400 if form.errors else 200
    return render(request, "accounts/sign_in.html", {"form": form, "next": request.GET.get("next", "")}, status=status)


@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:sign-in")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"
