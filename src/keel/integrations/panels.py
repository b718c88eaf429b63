"""What monitoring adds to other apps' record pages (listed in config/panels.py)."""

from typing import Final

from keel.accounts.models import User
from keel.incidents.models import Incident
from keel.integrations.permissions import can_see_alerts
from keel.integrations.queries.alerts import alerts_of_incident
from keel.lib.panels import Panel

SHOWN: Final = 20


def incident_alerts_panel(user: User, incident: Incident) -> Panel | None:
    """The incident's alerts, newest first, for IT staff; nothing when it has none."""
    if not can_see_alerts(user):
        return None
    alerts = alerts_of_incident(incident.pk, limit=SHOWN + 1)
    if not alerts:
        return None
    return Panel(
        template="integrations/partials/incident_alerts.html",
        context={"alerts": alerts[:SHOWN], "more": len(alerts) > SHOWN, "number": incident.number},
    )
