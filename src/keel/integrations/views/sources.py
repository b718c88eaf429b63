"""Monitoring sources in the console: the list and each source's page for IT staff; adding one,
rotating its secret, revoking it and sending it a test event for those who manage integrations.

A source's secret exists in clear only in the answer to its creation or rotation (only its hash is
stored), so those answers render the URL at once, are never cached, and are not redirects that
would have to carry the secret elsewhere.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keel.audit.queries import history_of
from keel.incidents.views.common import signed_in_user
from keel.integrations.actions import (
    SUBJECT,
    IssuedSecret,
    create_source,
    revoke_source,
    rotate_secret,
    send_test_event,
)
from keel.integrations.forms import SourceForm, preset_json
from keel.integrations.inbound.parsed import MalformedPayload
from keel.integrations.models import Source
from keel.integrations.permissions import can_manage_integrations, can_see_alerts
from keel.integrations.queries import get_source, recent_payloads, source_rows
from keel.integrations.states import SourceKind
from keel.integrations.views.common import not_manager, not_staff
from keel.lib.errors import KeelError, NotFound


@login_required
@require_GET
def source_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not can_see_alerts(user):
        return not_staff(request)
    context = {"nav": "alerts", "tab": "sources", "rows": source_rows(), "can_manage": can_manage_integrations(user)}
    return render(request, "integrations/sources.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def source_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not can_manage_integrations(user):
        return not_manager(request)
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


@login_required
@require_GET
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    if not can_see_alerts(user):
        return not_staff(request)
    source = _source(pk)
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
@login_required
@require_POST
def source_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    if not can_manage_integrations(user):
        return not_manager(request)
    source = _source(pk)
    if source.revoked_at is not None:
        messages.error(request, f"{source.name} is revoked; a revoked source gets no new secret. Add a new source.")
        return redirect("integrations:source", pk=source.pk)
    return _issued(request, rotate_secret(source, actor=user), created=False)


@login_required
@require_POST
def source_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    if not can_manage_integrations(user):
        return not_manager(request)
    source = revoke_source(_source(pk), actor=user)
    messages.success(request, f"Revoked {source.name}: Keel refuses whatever it sends from now on. Its alerts stay.")
    return redirect("integrations:source", pk=source.pk)


@login_required
@require_POST
def source_test(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    if not can_manage_integrations(user):
        return not_manager(request)
    source = _source(pk)
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


def _source(pk: int) -> Source:
    try:
        return get_source(pk)
    except NotFound as error:
        raise Http404(error.message) from error
