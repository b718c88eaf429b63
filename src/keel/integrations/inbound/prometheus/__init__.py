"""Prometheus posting alerts straight to Keel as if Keel were an Alertmanager (``POST …/api/v2/alerts``)."""
