from django.contrib import admin
from django.http import HttpRequest

from keel.accounts.admin_access import CapabilityAdmin
from keel.audit.models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(CapabilityAdmin[AuditRecord]):
    """Read-only, for administrators: audit rows are never changed or deleted by the application."""

    list_display = ("at", "subject_type", "subject_id", "field", "old_value", "new_value", "actor", "channel")
    list_filter = ("subject_type", "channel", "field")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditRecord | None = None) -> bool:
        return False
