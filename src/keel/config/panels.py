"""Panels that apps above a record's own app add to its page (lib/panels.py), per page, in order."""

from keel.integrations.panels import incident_alerts_panel

# The incident record page (incidents/views/detail.py), drawn after the description.
INCIDENT_PANELS = [incident_alerts_panel]
