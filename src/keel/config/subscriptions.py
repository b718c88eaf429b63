"""Who reacts to which event: the one list (DESIGN §4.3). Handlers run after commit.

The notification and integration issues subscribe here too.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from keel.incidents.handlers import note_sla_events
from keel.sla.events import SlaBreached, SlaWarning

SUBSCRIPTIONS: Mapping[type, Sequence[Callable[[Any], None]]] = {
    SlaWarning: [note_sla_events],
    SlaBreached: [note_sla_events],
}
