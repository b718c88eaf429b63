"""Small htmx helpers for the forms: the computed priority, caller suggestions."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from keel.incidents.forms.incident import PriorityPreviewForm
from keel.incidents.queries.records import callers_matching, priority_for
from keel.incidents.views.common import HtmxHttpRequest, signed_in_user
from keel.incidents.views.editing import ci_panel, priority_context

MAX_SUGGESTIONS = 10


@login_required
@require_GET
def priority_preview(request: HtmxHttpRequest) -> HttpResponse:
    form = PriorityPreviewForm(request.GET)
    if not form.is_valid():
        return render(request, "incidents/partials/priority_preview.html", {"preview": None}, status=400)
    priority = priority_for(form.cleaned_data["impact"], form.cleaned_data["urgency"])
    return render(request, "incidents/partials/priority_preview.html", {"preview": priority_context(priority)})


@login_required
@require_GET
def callers(request: HtmxHttpRequest) -> HttpResponse:
    text = request.GET.get("caller", "")
    people = callers_matching(signed_in_user(request), text, limit=MAX_SUGGESTIONS)
    return render(request, "incidents/partials/caller_options.html", {"people": people})


@login_required
@require_GET
def ci_context(request: HtmxHttpRequest) -> HttpResponse:
    """The panel of what depends on the CI typed in the create form, with Keel's impact proposal."""
    panel = ci_panel(signed_in_user(request), request.GET.get("ci", ""))
    return render(request, "incidents/partials/ci_context.html", {"panel": panel})
