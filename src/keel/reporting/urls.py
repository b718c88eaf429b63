"""Report pages. Mounted under /cmdb/ next to the CMDB's own pages (the CI record lists incidents)."""

from django.urls import path

from keel.reporting import views

app_name = "reporting"
urlpatterns = [
    path("cis/<int:pk>/", views.ci_record, name="ci"),
    path("hotspots/", views.hotspot_report, name="hotspots"),
    path("hotspots.csv", views.hotspot_csv, name="hotspots-csv"),
]
