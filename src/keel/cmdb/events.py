"""Facts about the CMDB, published after commit (see ``config/subscriptions.py``)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CMDBChanged:
    """A CMDB record was created, changed or deleted. ``activity`` keeps the audit rows: it sits above
    the CMDB on the import ladder, so the CMDB says what changed and activity records it."""

    subject_type: str  # "ci", "service" or "ci_type"; a relationship is recorded on its source CI
    subject_id: int
    actor_id: int | None
    changes: tuple[tuple[str, str, str], ...]  # (field, old, new) as text
