from django.urls import path

from keel.integrations.views import alerts, inbound, maintenance, sources

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

# The console: alerts under /alerts/, sources, maintenance and change events under /integrations/
# (beside the inbound paths, which never end in a slash).
alert_patterns = [
    path("", alerts.alert_list, name="list"),
    path("<int:pk>/", alerts.alert_detail, name="detail"),
    path("<int:pk>/acknowledge/", alerts.acknowledge, name="acknowledge"),
]

console_patterns = [
    path("sources/", sources.source_list, name="sources"),
    path("sources/new/", sources.source_new, name="source-new"),
    path("sources/<int:pk>/", sources.source_detail, name="source"),
    path("sources/<int:pk>/rotate/", sources.source_rotate, name="source-rotate"),
    path("sources/<int:pk>/revoke/", sources.source_revoke, name="source-revoke"),
    path("sources/<int:pk>/test/", sources.source_test, name="source-test"),
    path("maintenance/", maintenance.window_list, name="maintenance"),
    path("maintenance/new/", maintenance.window_new, name="maintenance-new"),
    path("maintenance/<int:pk>/end/", maintenance.window_end, name="maintenance-end"),
    path("changes/", maintenance.change_list, name="changes"),
]
