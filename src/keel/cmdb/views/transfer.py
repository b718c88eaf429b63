"""CSV in the console: download the CIs or relationships (everyone signed in), upload a file to
import (configuration managers). The same ``cmdb.actions.transfer`` code as the API and
``keel cmdb``: all rows or none, bad lines reported by number, re-importing changes nothing."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from keel.cmdb.actions.transfer import IMPORTERS
from keel.cmdb.forms import ImportForm
from keel.cmdb.permissions import can_manage_cmdb
from keel.cmdb.transfer import (
    CI_COLUMNS,
    EXPORTERS,
    RELATIONSHIP_COLUMNS,
    ImportRejected,
    ImportResult,
    utf8_lines,
)
from keel.cmdb.views.common import forbidden, signed_in_user
from keel.lib.csv import csv_response
from keel.lib.errors import KeelError

WHAT: dict[str, str] = {"cis": "CIs", "relationships": "relationships"}


@login_required
@require_http_methods(["GET", "POST"])
def csv_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    can_manage = can_manage_cmdb(user)
    if request.method == "POST" and not can_manage:
        return forbidden(request)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    context: dict[str, Any] = {"nav": "cmdb", "form": form, "can_manage": can_manage}
    if request.method == "POST" and form.is_valid():
        what = form.cleaned_data["what"]
        try:
            result = IMPORTERS[what](utf8_lines(form.cleaned_data["file"]), actor=user)
        except ImportRejected as rejected:
            context |= {"problem": rejected.message, "rows": rejected.result.errors}
        except KeelError as error:
            context |= {"problem": error.message, "rows": []}
        else:
            messages.success(request, _imported(WHAT[what], result))
            return redirect("cmdb:csv")
    status = 400 if form.is_bound else 200
    return render(request, "cmdb/csv.html", _with_formats(context), status=status)


@login_required
@require_GET
def csv_export(request: HttpRequest, what: str) -> StreamingHttpResponse:
    if what not in EXPORTERS:
        raise Http404(f"Export takes cis or relationships (got {what!r}).")
    return csv_response(EXPORTERS[what](), filename=f"{what}.csv")


def _imported(what: str, result: ImportResult) -> str:
    return f"Imported the {what}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged."


def _with_formats(context: dict[str, Any]) -> dict[str, Any]:
    return {**context, "ci_columns": ",".join(CI_COLUMNS), "relationship_columns": ",".join(RELATIONSHIP_COLUMNS)}
