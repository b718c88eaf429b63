"""Who reacts to which event: the one list (DESIGN §4.3). Handlers run after commit.

Empty for now: the SLA, notification and integration issues subscribe here.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

SUBSCRIPTIONS: Mapping[type, Sequence[Callable[[Any], None]]] = {}
