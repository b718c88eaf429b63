"""The CI record page: the CMDB's fields with the incidents on the CI, which the CMDB (below
incidents) cannot read."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from keel.audit.queries import history_of
from keel.cmdb.forms import RelationshipForm
from keel.cmdb.models import Service
from keel.cmdb.permissions import can_manage_cmdb
from keel.cmdb.queries import get_ci, relationships_of
from keel.incidents.queries.context import ci_context
from keel.incidents.views.common import signed_in_user
from keel.lib.errors import NotFound


@login_required
@require_GET
def ci_record(request: HttpRequest, pk: int) -> HttpResponse:
    """A CI: its fields, relationships, the services that depend on it, its open and recent incidents."""
    user = signed_in_user(request)
    try:
        ci = get_ci(pk)
    except NotFound as error:
        raise Http404(error.message) from error
    outgoing, incoming = relationships_of(ci)
    context = {
        "nav": "cmdb",
        "ci": ci,
        "stands_for": Service.objects.filter(ci=ci).first(),
        "outgoing": outgoing,
        "incoming": incoming,
        "found": ci_context(ci, user=user),
        "can_manage": can_manage_cmdb(user),
        "relationship_form": RelationshipForm(),
        "history": history_of("ci", ci.pk),
    }
    return render(request, "reporting/ci.html", context)
