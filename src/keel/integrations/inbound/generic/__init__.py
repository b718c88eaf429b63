"""A generic JSON webhook read through a per-source field mapping (Grafana, Zabbix, anything else)."""
