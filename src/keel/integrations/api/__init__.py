"""REST API v1 for monitoring: sources (their secrets shown once), alerts, maintenance windows,
correlation rules and change events. Parse, call one action or query, render.

IT staff read everything here (none of it holds a secret); anyone else gets 403. Writes are for
those who manage integrations (incident managers, administrators); acknowledging is for staff.
"""

from ninja import Router

from keel.integrations.api import alerts, setup, sources

router = Router(tags=["monitoring"])
router.add_router("/", sources.router)
router.add_router("/", alerts.router)
router.add_router("/", setup.router)
