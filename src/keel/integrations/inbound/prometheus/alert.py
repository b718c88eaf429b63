"""What an alert says in Prometheus's model, whoever delivers it (Prometheus itself or Alertmanager).

Both senders carry the same alert: ``labels`` (its identity), ``annotations`` (its description),
``startsAt``/``endsAt`` and ``generatorURL``. The summary, severity and links are read from them the
same way on both paths, so one alert looks the same whichever way it arrived.
"""

from collections.abc import Mapping
from typing import Any, Final

from keel.integrations.inbound.parsed import Link, Severity
from keel.integrations.inbound.reading import MISSING, child, http_link, text_map
from keel.integrations.inbound.severity import severity_from_word

# Annotations that, by Prometheus-community convention (kube-prometheus mixins and the like), hold URLs.
LINK_ANNOTATIONS: Final = (("runbook_url", "Runbook"), ("dashboard_url", "Dashboard"))
LABELS: Final = "label name → text"
ANNOTATIONS: Final = "annotation name → text"


def read_labels(alert: Mapping[str, Any], where: str) -> dict[str, str]:
    return text_map(alert.get("labels", MISSING), child(where, "labels"), what=LABELS)


def read_annotations(alert: Mapping[str, Any], where: str) -> dict[str, str]:
    value = alert.get("annotations")
    return {} if value is None else text_map(value, child(where, "annotations"), what=ANNOTATIONS)


def summary_of(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str:
    """``annotations.summary``, else the first line of ``description``, else the alert's name and instance."""
    summary = annotations.get("summary", "").strip()
    if summary:
        return summary
    for line in annotations.get("description", "").splitlines():
        if line.strip():
            return line.strip()
    name = labels.get("alertname", "").strip()
    instance = labels.get("instance", "").strip()
    if name:
        return f"{name} on {instance}" if instance else name
    # No name at all: the label set as Prometheus prints it, which is at least the alert's identity.
    return "{" + ", ".join(f'{key}="{labels[key]}"' for key in sorted(labels)) + "}"


def severity_of(labels: Mapping[str, str]) -> Severity:
    return severity_from_word(labels.get("severity"))


def links_of(generator_url: str | None, annotations: Mapping[str, str]) -> tuple[Link, ...]:
    candidates = [http_link(generator_url, "Source")]
    candidates += [http_link(annotations.get(key), text) for key, text in LINK_ANNOTATIONS]
    return tuple(link for link in candidates if link is not None)
