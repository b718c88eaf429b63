"""Facts about incidents, published after commit (see ``config/subscriptions.py``)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class IncidentOpened:
    incident_id: int
    actor_id: int | None


@dataclass(frozen=True)
class IncidentStateChanged:
    incident_id: int
    actor_id: int | None
    source: str
    target: str


@dataclass(frozen=True)
class IncidentAssigned:
    incident_id: int
    actor_id: int | None
    group_id: int | None
    assignee_id: int | None


@dataclass(frozen=True)
class IncidentUpdated:
    incident_id: int
    actor_id: int | None
    fields: tuple[str, ...]


@dataclass(frozen=True)
class IncidentCommented:
    incident_id: int
    actor_id: int | None
    entry_id: int
    is_public: bool
