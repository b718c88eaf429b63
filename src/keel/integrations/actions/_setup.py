"""What the set-up actions (sources, maintenance windows, correlation rules) share: who may make
them, and names that must be free (``lib/names.py``)."""

from keel.accounts.models import User
from keel.integrations.permissions import can_manage_integrations
from keel.lib.errors import NotAllowed
from keel.lib.names import claiming_name, refuse_taken_name

__all__ = ["check_manager", "claiming_name", "refuse_taken_name"]


def check_manager(actor: User | None) -> None:
    if actor is not None and not can_manage_integrations(actor):
        raise NotAllowed("Only incident managers and administrators manage monitoring sources and rules.")
