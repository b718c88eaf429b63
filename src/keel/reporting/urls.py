"""Report pages. The CI record and the hotspots are mounted under /cmdb/ next to the CMDB's own
pages (the CI record lists incidents); the audit trail has its own place, /audit/."""

from django.urls import path

from keel.reporting.views import audit, hotspots, records

app_name = "reporting"
urlpatterns = [
    path("cis/<int:pk>/", records.ci_record, name="ci"),
    path("hotspots/", hotspots.hotspot_report, name="hotspots"),
    path("hotspots.csv", hotspots.hotspot_csv, name="hotspots-csv"),
]
audit_patterns = [
    path("", audit.audit_trail, name="trail"),
    path("audit.csv", audit.audit_csv, name="csv"),
]
