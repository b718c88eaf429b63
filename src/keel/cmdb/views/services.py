"""Business services in the console: the list (users, criticality, the CI that places each in the
graph) for everyone signed in; adding and editing for configuration managers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from keel.cmdb.actions.records import create_service, update_service
from keel.cmdb.forms import ServiceForm
from keel.cmdb.permissions import can_manage_cmdb
from keel.cmdb.queries import get_service, services
from keel.cmdb.views.common import form_page, found, managers_only, saved, signed_in_user


@login_required
@require_GET
def service_list(request: HttpRequest) -> HttpResponse:
    context = {"nav": "cmdb", "services": services(), "can_manage": can_manage_cmdb(signed_in_user(request))}
    return render(request, "cmdb/services.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@managers_only
def service_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ServiceForm(request.POST if request.method == "POST" else None)
    service = saved(request, form, lambda: create_service(actor=user, **form.fields_for_action()))
    if service is not None:
        messages.success(request, f"Added the business service {service.name}.")
        return redirect("cmdb:services")
    return form_page(request, "cmdb/service_edit.html", form, {"service": None})


@login_required
@require_http_methods(["GET", "POST"])
@managers_only
def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    service = found(get_service, pk)
    data = request.POST if request.method == "POST" else None
    form = ServiceForm(data, initial=ServiceForm.initial_for(service), service=service)
    if saved(request, form, lambda: update_service(service, actor=user, changes=form.fields_for_action())) is not None:
        messages.success(request, f"Saved {service.name}.")
        return redirect("cmdb:services")
    return form_page(request, "cmdb/service_edit.html", form, {"service": service})
