from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from keel.config.api import api
from keel.incidents.urls import oncall_patterns, routing_patterns
from keel.integrations.urls import alert_patterns, console_patterns, inbound_patterns
from keel.lib.health import healthz, readyz
from keel.reporting.urls import audit_patterns

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="incidents:queue", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("keel.accounts.urls")),
    path("incidents/", include("keel.incidents.urls")),
    path("routing/", include((routing_patterns, "routing"))),
    path("oncall/", include((oncall_patterns, "oncall"))),
    path("cmdb/", include("keel.cmdb.urls")),
    path("cmdb/", include("keel.reporting.urls")),
    path("audit/", include((audit_patterns, "audit"))),
    path("inbox/", include("keel.notifications.urls")),
    path("alerts/", include((alert_patterns, "alerts"))),
    path("integrations/", include((console_patterns, "integrations"))),
    path("integrations/", include((inbound_patterns, "inbound"))),
]

# One set of error answers (lib/failures.py): JSON for the API and the inbound URLs, pages for people.
handler400 = "keel.lib.failures.bad_request"
handler403 = "keel.lib.failures.permission_denied"
handler404 = "keel.lib.failures.page_not_found"
handler500 = "keel.lib.failures.internal_error"
