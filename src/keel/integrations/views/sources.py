"""Monitoring sources in the console: the list and each source's page for IT staff; adding one,
rotating its secret, revoking it and sending it a test event for those who manage integrations.

A source's secret exists in clear only in the answer to its creation or rotation (only its hash is
stored), so those answers render the URL at once, are never cached, and are not redirects that
would have to carry the secret elsewhere.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keel.accounts.models import User
from keel.audit.queries import history_of
from keel.integrations.actions.sources import (
    SUBJECT,
    IssuedSecret,
    create_source,
    revoke_source,
    rotate_secret,
    send_test_event,
)
from keel.integrations.forms import SourceForm, preset_json
from keel.integrations.inbound.parsed import MalformedPayload
from keel.integrations.permissions import can_manage_integrations
from keel.integrations.queries.sources import get_source, recent_payloads, source_rows
from keel.integrations.states import SourceKind
from keel.integrations.views.common import for_managers, for_staff, found
from keel.lib.errors import KeelError


@for_staff
@require_GET
def source_list(request: HttpRequest, user: User) -> HttpResponse:
    context = {"nav": "alerts", "tab": "sources", "rows": source_rows(), "can_manage": can_manage_integrations(user)}
    return render(request, "integrations/sources.html", context)


@never_cache
@for_managers
@require_http_methods(["GET", "POST"])
def source_new(request: HttpRequest, user: User) -> HttpResponse:
    form = SourceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = create_source(actor=user, **form.arguments())
        except KeelError as error:
            form.add_error(_source_field(error.field), error.message)
        else:
            return _issued(request, issued, created=True)
    context = {"nav": "alerts", "tab": "sources", "form": form, "presets": preset_json()}
    return render(request, "integrations/source_new.html", context, status=400 if form.is_bound else 200)


@for_staff
@require_GET
def source_detail(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    source = found(lambda: get_source(pk))
    context = {
        "nav": "alerts",
        "tab": "sources",
        "source": source,
        "payloads": recent_payloads(source),
        "history": history_of(SUBJECT, source.pk),
        "can_manage": can_manage_integrations(user),
        "is_pagerduty": source.kind == SourceKind.PAGERDUTY,
    }
    return render(request, "integrations/source.html", context)


@never_cache
@for_managers
@require_POST
def source_rotate(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    source = found(lambda: get_source(pk))
    try:
        issued = rotate_secret(source, actor=user)
    except KeelError as error:
        messages.error(request, error.message)
        return redirect("integrations:source", pk=source.pk)
    return _issued(request, issued, created=False)


@for_managers
@require_POST
def source_revoke(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    source = revoke_source(found(lambda: get_source(pk)), actor=user)
    messages.success(request, f"Revoked {source.name}: Keel refuses whatever it sends from now on. Its alerts stay.")
    return redirect("integrations:source", pk=source.pk)


@for_managers
@require_POST
def source_test(request: HttpRequest, user: User, pk: int) -> HttpResponse:
    source = found(lambda: get_source(pk))
    try:
        received = send_test_event(source, actor=user)
    except MalformedPayload as refusal:
        messages.error(
            request,
            f"Keel stored the test event, but this source's field mapping cannot read it: {refusal.message} "
            "Change the mapping (in the admin or the API) and send another.",
        )
    except KeelError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Sent a test event as {source.name} (payload {received.payload_id}, {len(received.signals)} alert). "
            "Keel processes it like any other, within a second or two: look for “Test event from Keel” in Alerts.",
        )
    return redirect("integrations:source", pk=source.pk)


def _source_field(field: str | None) -> str:
    """The form field an error of ``create_source`` is about: the field mapping's checks name its own
    settings (``summary``, ``items``, …), which are all written in the mapping box."""
    own = {"name", "kind", "description", "identity_labels", "assignment_group", "mapping"}
    return "expire_after_minutes" if field == "expire_after_s" else field if field in own else "mapping"


def _issued(request: HttpRequest, issued: IssuedSecret, *, created: bool) -> HttpResponse:
    context = {
        "nav": "alerts",
        "tab": "sources",
        "source": issued.source,
        "url": issued.url,
        "secret": issued.secret,
        "created": created,
        "is_pagerduty": issued.source.kind == SourceKind.PAGERDUTY,
    }
    return render(request, "integrations/source_issued.html", context)
