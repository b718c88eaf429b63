from django.contrib import admin

from keel.accounts.admin_access import ReadOnlyAdmin
from keel.audit.models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin[AuditRecord]):
    """Read-only, for administrators: audit rows are never changed or deleted by the application."""

    list_display = ("at", "subject_type", "subject_id", "field", "old_value", "new_value", "actor", "channel")
    list_filter = ("subject_type", "channel", "field")
