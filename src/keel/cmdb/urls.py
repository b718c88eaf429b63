"""The CMDB's console addresses. The CI record page itself is reporting's (it lists incidents)."""

from django.urls import path

from keel.cmdb.views import cis, services, transfer

app_name = "cmdb"
urlpatterns = [
    path("", cis.ci_list, name="list"),
    path("cis/new/", cis.ci_new, name="new"),
    path("cis/<int:pk>/edit/", cis.ci_edit, name="edit"),
    path("cis/<int:pk>/impact/", cis.impact, name="impact"),
    path("cis/<int:pk>/relationships/", cis.relationship_add, name="relate"),
    path("relationships/<int:pk>/delete/", cis.relationship_delete, name="unrelate"),
    path("services/", services.service_list, name="services"),
    path("services/new/", services.service_new, name="service-new"),
    path("services/<int:pk>/edit/", services.service_edit, name="service-edit"),
    path("csv/", transfer.csv_page, name="csv"),
    path("csv/<str:what>.csv", transfer.csv_export, name="csv-export"),
]
