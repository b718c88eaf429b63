"""The audit trail in the console, for administrators: every change of every record, newest first,
filtered by who, which record, which door and when; paged, and downloadable as CSV (the API's
``GET /api/v1/audit`` answers the same question)."""

from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from keel.accounts.models import User
from keel.audit.queries import AuditFilters
from keel.incidents.views.common import HtmxHttpRequest, guarded, render_page_or_partial
from keel.lib.csv import csv_lines, csv_response
from keel.lib.errors import KeelError
from keel.lib.paging import window
from keel.reporting.audit import CSV_COLUMNS, REFUSAL, audit_csv_rows_for, audit_page_for, parse_audit_filters
from keel.reporting.forms import AuditFilterForm
from keel.reporting.permissions import can_read_audit_trail

for_admins = guarded(can_read_audit_trail, REFUSAL)


@for_admins
@require_GET
def audit_trail(request: HtmxHttpRequest, user: User) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    filters = _filters(form)
    page = audit_page_for(user, filters, offset=form.page_offset, limit=form.page_limit) if filters else None
    query = request.GET.copy()
    query.pop("offset", None)
    context = {"nav": "audit", "form": form, "page": page, "window": window(page), "csv_query": query.urlencode()}
    return render_page_or_partial(
        request,
        page="reporting/audit.html",
        partial="reporting/partials/audit_results.html",
        context=context,
        status=200 if page is not None else 400,
    )


@for_admins
@require_GET
def audit_csv(request: HtmxHttpRequest, user: User) -> HttpResponseBase:
    form = AuditFilterForm(request.GET)
    filters = _filters(form)
    if filters is None:
        problems = "; ".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items())
        return HttpResponse(f"These filters do not work: {problems}", status=400, content_type="text/plain")
    return audit_csv_response(user, filters)


def audit_csv_response(user: User, filters: AuditFilters) -> StreamingHttpResponse:
    """Every row the filters match, newest first, as a CSV download (the API's too)."""
    return csv_response(csv_lines(CSV_COLUMNS, audit_csv_rows_for(user, filters)), filename="audit.csv")


def _filters(form: AuditFilterForm) -> AuditFilters | None:
    """The form's filters, or None when a field is refused (by the form or by the parser, named on it)."""
    if not form.is_valid():
        return None
    try:
        return parse_audit_filters(**form.words())
    except KeelError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None
