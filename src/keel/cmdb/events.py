"""Facts about the CMDB, published after commit (see ``config/subscriptions.py``)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CMDBChanged:
    """A CMDB record was created, changed or deleted (its audit rows are already written)."""

    subject_type: str  # "ci", "service" or "ci_type"; a relationship is recorded on its source CI
    subject_id: int
    actor_id: int | None
    fields: tuple[str, ...]  # the fields changed, or "created", "deleted", "relationship"
