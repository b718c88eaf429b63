"""The queues: my work, my groups, unassigned, all open — filtered, sorted, searched, paged."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from keel.accounts.models import User
from keel.incidents.forms.queue import ALL_QUEUE, ORDER_LABELS, QUEUES, QueueForm
from keel.incidents.queries.records import IncidentPage, incident_page
from keel.incidents.views.common import HtmxHttpRequest, render_page_or_partial, signed_in_user
from keel.lib.paging import window


@login_required
@require_GET
def queue(request: HtmxHttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = QueueForm(request.GET, user=user)
    page = (
        incident_page(user, form.filters(), offset=form.page_offset, limit=form.page_limit) if form.is_valid() else None
    )
    return render_page_or_partial(
        request,
        page="incidents/queue.html",
        partial="incidents/partials/queue_results.html",
        context=_context(user, form, page),
        status=200 if page is not None else 400,
    )


def _context(user: User, form: QueueForm, page: IncidentPage | None) -> dict[str, Any]:
    queue_name = form.queue_name
    searching = bool(form.is_valid() and form.cleaned_data["q"].strip())
    if not user.is_staff_member:
        title = "Your incidents"
    elif queue_name == ALL_QUEUE:
        title = "Search results" if searching else "All incidents"
    else:
        title = QUEUES[queue_name]
    return {
        "nav": "queue",
        "form": form,
        "page": page,
        "title": title,
        "queue_name": queue_name,
        "queues": QUEUES.items() if user.is_staff_member else (),
        "order_labels": ORDER_LABELS,
        "window": window(page),
    }
