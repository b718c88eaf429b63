from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from keel.accounts.actions import AccountLocked, sign_in
from keel.accounts.forms import SignInForm


@require_http_methods(["GET", "POST"])
def sign_in_view(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = sign_in(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        except AccountLocked as locked:
            form.add_error(None, locked.message)
        else:
            if user is not None:
                login(request, user)
                return redirect(_next_url(request))
            form.add_error(None, "That username and password do not match. Check both and try again.")
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
