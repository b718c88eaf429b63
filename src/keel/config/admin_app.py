"""Django's admin app with Keel's site, which lets people in by capability (``accounts.admin_access``)."""

from django.contrib.admin.apps import AdminConfig


class KeelAdminConfig(AdminConfig):
    default_site = "keel.accounts.admin_access.KeelAdminSite"
