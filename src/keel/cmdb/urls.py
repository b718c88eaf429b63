"""The CMDB's console addresses. The CI record page itself is reporting's (it lists incidents)."""

from django.urls import path

from keel.cmdb import views

app_name = "cmdb"
urlpatterns = [
    path("", views.ci_list, name="list"),
    path("cis/new/", views.ci_new, name="new"),
    path("cis/<int:pk>/edit/", views.ci_edit, name="edit"),
    path("cis/<int:pk>/impact/", views.impact, name="impact"),
    path("cis/<int:pk>/relationships/", views.relationship_add, name="relate"),
    path("relationships/<int:pk>/delete/", views.relationship_delete, name="unrelate"),
]
