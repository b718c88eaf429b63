"""Reads on the audit trail."""

from keel.audit.models import AuditRecord


def history_of(subject_type: str, subject_id: int, *, limit: int = 20) -> list[AuditRecord]:
    """The latest audit rows of one record, newest first."""
    rows = AuditRecord.objects.filter(subject_type=subject_type, subject_id=subject_id).select_related("actor")
    return list(rows.order_by("-at", "-pk")[:limit])
