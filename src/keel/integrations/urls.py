from django.urls import path

from keel.integrations.views import inbound

# Where monitoring tools post. The secret may be in the path (as Keel prints the URLs) or in an
# Authorization header; Prometheus appends /api/v2/alerts to the path prefix it is given.
inbound_patterns = [
    path("alertmanager/<str:secret>", inbound.alertmanager),
    path("alertmanager", inbound.alertmanager),
    path("prometheus/<str:secret>/api/v2/alerts", inbound.prometheus),
    path("prometheus/api/v2/alerts", inbound.prometheus),
    path("generic/<str:secret>", inbound.generic),
    path("generic", inbound.generic),
    path("pagerduty/v2/enqueue", inbound.pagerduty_enqueue),
    path("pagerduty/v2/change/enqueue", inbound.pagerduty_change),
]
