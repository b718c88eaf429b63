"""Test events read as real ones: each kind's sample goes through its sender's own parser, and a
generic source's sample is built from its mapping so that the mapping reads it back."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keel.integrations.actions.intake import read
from keel.integrations.actions.sources import IssuedSecret, create_source
from keel.integrations.inbound.generic.mapping import FieldMapping
from keel.integrations.inbound.generic.presets import PRESETS
from keel.integrations.inbound.parsed import AlertSignal, Link, Severity, SignalStatus
from keel.integrations.inbound.prometheus.fingerprint import fingerprint
from keel.integrations.inbound.samples import test_event as sample_of
from keel.integrations.states import Endpoint, SourceKind

NOW = datetime(2026, 11, 27, 14, 0, 5, 250000, tzinfo=UTC)


def read_back(issued: IssuedSecret) -> AlertSignal:
    source = issued.source
    # Only a generic source has a mapping; the other parsers never look at it.
    mapping = FieldMapping.from_config(source.mapping or {"summary": "unused"})
    document = sample_of(source, sent_by="Imogen", now=NOW)
    (signal,) = read(SourceKind(source.kind), Endpoint.ALERTS, document, mapping=mapping, received_at=NOW)
    assert isinstance(signal, AlertSignal)
    return signal


@pytest.mark.parametrize("name", ["alertmanager", "prometheus", "pagerduty", "grafana"])
def test_every_kind_reads_its_test_event_as_one_firing_info_alert(sources: dict[str, IssuedSecret], name: str) -> None:
    signal = read_back(sources[name])

    summary = f"Test event from Keel for {sources[name].source.name}"
    assert (signal.status, signal.severity, signal.summary) == (SignalStatus.FIRING, Severity.INFO, summary)
    assert signal.starts_at == NOW.replace(microsecond=250000)


def test_the_alertmanager_event_carries_the_fingerprint_alertmanager_would_give(
    sources: dict[str, IssuedSecret],
) -> None:
    signal = read_back(sources["alertmanager"])

    assert signal.identity == fingerprint(
        {"alertname": "KeelTestEvent", "severity": "info", "keel_source": "prod-alertmanager"}
    )
    assert signal.ends_at is None
    page = f"http://127.0.0.1:8000/integrations/sources/{sources['alertmanager'].source.pk}/"
    assert list(signal.links) == [Link(href=page, text="Source")]


def test_the_prometheus_event_has_a_lease_and_expires_unless_sent_again(sources: dict[str, IssuedSecret]) -> None:
    signal = read_back(sources["prometheus"])

    assert signal.ends_at == NOW + timedelta(minutes=5)


def test_the_pagerduty_event_has_a_dedup_key_of_its_source(sources: dict[str, IssuedSecret]) -> None:
    signal = read_back(sources["pagerduty"])

    assert signal.identity == f"keel-test-event-{sources['pagerduty'].source.pk}"
    assert signal.labels["component"] == "test-event"


@pytest.mark.parametrize(
    ("mapping", "severity"),
    [
        (PRESETS["zabbix"], Severity.INFO),
        ({"summary": "title"}, Severity.WARNING),  # a mapping without severity: every alert is a warning
        (
            {"items": "data.alerts", "summary": ["text", "title"], "dedup_key": "id", "severity": "tags.0.value"},
            Severity.INFO,
        ),
        ({"summary": "msg", "status": "state", "status_map": {"down": "firing", "up": "resolved"}}, Severity.WARNING),
        ({"summary": "msg", "severity": "prio", "severity_map": {"p0": "critical", "p9": "info"}}, Severity.INFO),
        (
            {"summary": "alert.summary", "labels": ["alert.labels", {"team": "owner.team"}], "links": {"Run": "url"}},
            Severity.WARNING,
        ),
    ],
    ids=[
        "zabbix",
        "summary-only",
        "nested-items-and-list-positions",
        "own-status-words",
        "own-severity-words",
        "labels",
    ],
)
def test_a_generic_event_is_built_for_whatever_the_mapping_reads(
    db: None, mapping: dict[str, Any], severity: Severity
) -> None:
    issued = create_source(actor=None, name="webhook", kind=SourceKind.GENERIC, mapping=mapping)

    signal = read_back(issued)

    assert (signal.summary, signal.status, signal.severity) == (
        "Test event from Keel for webhook",
        SignalStatus.FIRING,
        severity,
    )


def test_a_generic_event_uses_the_senders_words_for_status_and_severity(db: None) -> None:
    mapping = {
        "summary": "msg",
        "status": "state",
        "severity": "prio",
        "dedup_key": "key",
        "status_map": {"down": "firing"},
        "severity_map": {"p9": "info"},
    }
    issued = create_source(actor=None, name="webhook", kind=SourceKind.GENERIC, mapping=mapping)

    document = sample_of(issued.source, sent_by="Imogen", now=NOW)

    assert document == {
        "msg": "Test event from Keel for webhook",
        "state": "firing",
        "prio": "info",
        "key": f"keel-test-event-{issued.source.pk}",
    }
