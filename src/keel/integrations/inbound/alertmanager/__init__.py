"""Prometheus Alertmanager's webhook receiver (payload version 4)."""
