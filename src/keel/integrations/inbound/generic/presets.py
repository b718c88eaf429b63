"""Field mappings for senders whose shape is known, as data a source starts from (``FieldMapping.from_config``).

- ``grafana``: Grafana unified alerting's webhook contact point. Alertmanager-shaped: ``alerts`` with
  their own ``status``, ``labels``, ``annotations``, ``fingerprint``, ``startsAt``/``endsAt`` and
  URLs; Grafana alerts carry no summary unless the rule sets one, hence the fallbacks.
- ``zabbix``: a Zabbix webhook media type whose script posts its parameters as one JSON object,
  with the parameter names shown in ``tests/integrations/inbound/generic/fixtures/README.md``
  (``event_id`` is ``{EVENT.ID}``, which in a recovery message is still the problem's id, so
  problem and recovery meet on one alert). Zabbix's ``{EVENT.DATE}``/``{EVENT.TIME}`` carry no
  time zone, so the start is when Keel received the problem.
"""

from collections.abc import Mapping
from typing import Any, Final

PRESETS: Final[Mapping[str, Mapping[str, Any]]] = {
    "grafana": {
        "items": "alerts",
        "summary": ["annotations.summary", "annotations.description", "labels.alertname"],
        "severity": "labels.severity",
        "resource": "labels.instance",
        "service": "labels.service",
        "dedup_key": "fingerprint",
        "status": "status",
        "starts_at": "startsAt",
        "ends_at": "endsAt",
        "labels": "labels",
        "annotations": "annotations",
        "links": {
            "Source": "generatorURL",
            "Dashboard": "dashboardURL",
            "Panel": "panelURL",
            "Silence": "silenceURL",
            "Runbook": "annotations.runbook_url",
        },
        "details": {"values": "values", "value_string": "valueString"},
    },
    "zabbix": {
        "summary": "event_name",
        "severity": "event_severity",
        "resource": "host_name",
        "service": "service",
        "dedup_key": "event_id",
        "status": ["event_status", "event_value"],
        "labels": {"host": "host_name", "host_ip": "host_ip", "trigger_id": "trigger_id", "severity": "event_severity"},
        "annotations": {"description": "trigger_description", "opdata": "event_opdata"},
        "links": {"Zabbix event": "event_url"},
        "details": {
            "event_date": "event_date",
            "event_time": "event_time",
            "tags": "event_tags",
            "update_status": "event_update_status",
            "acknowledged": "event_ack",
        },
    },
}
