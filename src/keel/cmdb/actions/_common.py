"""What every CMDB action shares: who may write, the event it publishes, how names are cleaned."""

from keel.accounts.models import User
from keel.cmdb.events import CMDBChanged
from keel.cmdb.permissions import can_manage_cmdb
from keel.lib.errors import InvalidInput, NotAllowed
from keel.lib.events import publish


def check_may_manage(actor: User | None) -> None:
    if actor is not None and not can_manage_cmdb(actor):
        raise NotAllowed("Only configuration managers and administrators can change the CMDB.")


def actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


def publish_change(subject_type: str, subject_id: int, actor: User | None, fields: tuple[str, ...]) -> None:
    """Say on commit that a CMDB record changed (its audit rows are written already)."""
    publish(CMDBChanged(subject_type=subject_type, subject_id=subject_id, actor_id=actor_id(actor), fields=fields))


def clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise InvalidInput("Give it a name, e.g. 'payments-db'.", field="name")
    return cleaned
