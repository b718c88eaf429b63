from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from keel.config.api import api
from keel.integrations.urls import alert_patterns, console_patterns, inbound_patterns
from keel.lib.health import healthz, readyz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="incidents:queue", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("keel.accounts.urls")),
    path("incidents/", include("keel.incidents.urls")),
    path("cmdb/", include("keel.cmdb.urls")),
    path("cmdb/", include("keel.reporting.urls")),
    path("alerts/", include((alert_patterns, "alerts"))),
    path("integrations/", include((console_patterns, "integrations"))),
    path("integrations/", include((inbound_patterns, "inbound"))),
]
