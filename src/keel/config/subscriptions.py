"""Who reacts to which event: the one list (DESIGN §4.3). Handlers run after commit."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from keel.incidents.reactions import note_sla_breach, note_sla_warning
from keel.sla.events import SlaBreached, SlaWarning

SUBSCRIPTIONS: Mapping[type, Sequence[Callable[[Any], None]]] = {
    SlaWarning: [note_sla_warning],
    SlaBreached: [note_sla_breach],
}
