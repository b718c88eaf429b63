"""Alertmanager 0.25 webhook notifications (version 4): replayed captures, per-alert status, refusals."""

import contextlib
import copy

import pytest
from hypothesis import given

from keel.integrations.inbound.alertmanager.parse import parse
from keel.integrations.inbound.parsed import AlertSignal, Link, MalformedPayload, Severity, SignalStatus
from keel.integrations.inbound.prometheus.fingerprint import fingerprint
from tests.integrations.inbound.captured import fixtures, json_values, utc

CAPTURED = fixtures("alertmanager")
RECEIVED = utc("2026-11-27T14:10:00Z")
SHORT_LIVED = {
    "alertname": "ShortLived",
    "instance": "127.0.0.1:19090",
    "job": "prometheus",
    "monitor": "itsm-lab",
    "severity": "warning",
}
SHORT_LIVED_SOURCE = Link(
    href="http://127.0.0.1:19090/graph?g0.expr=%28time%28%29+-+process_start_time_seconds%7Bjob%3D%22prometheus%22%7D%29+%3C+40&g0.tab=1",
    text="Source",
)
DISK_FULL = {"group_key": '{}:{alertname="DiskFull"}', "receiver": "itsm-webhook"}


def short_lived(status, ends_at):
    return AlertSignal(
        status=status,
        summary="Short-lived alert on 127.0.0.1:19090",
        severity=Severity.WARNING,
        labels=SHORT_LIVED,
        identity="6d48f71691adafdc",
        annotations={"summary": "Short-lived alert on 127.0.0.1:19090"},
        starts_at=utc("2026-11-27T14:07:13.206Z"),
        ends_at=ends_at,
        links=(SHORT_LIVED_SOURCE,),
        details={"group_key": '{}:{alertname="ShortLived"}', "receiver": "itsm-webhook"},
    )


def disk_full_db1(status, ends_at):
    return AlertSignal(
        status=status,
        summary="Disk full on db1",
        severity=Severity.CRITICAL,
        labels={"alertname": "DiskFull", "instance": "db1:9100", "severity": "critical", "team": "dba"},
        identity="448cc93ea2d7e986",
        annotations={"runbook_url": "https://runbooks.example/disk", "summary": "Disk full on db1"},
        starts_at=utc("2026-11-27T14:08:30.221623Z"),
        ends_at=ends_at,
        links=(Link(href="https://runbooks.example/disk", text="Runbook"),),
        details=DISK_FULL,
    )


DISK_FULL_DB2 = AlertSignal(
    status=SignalStatus.FIRING,
    summary="Disk full on db2",
    severity=Severity.CRITICAL,
    labels={"alertname": "DiskFull", "instance": "db2:9100", "severity": "critical", "team": "dba"},
    identity="82a1c553a5964e3d",
    annotations={"summary": "Disk full on db2"},
    starts_at=utc("2026-11-27T14:08:30.239428Z"),
    ends_at=None,
    links=(),
    details=DISK_FULL,
)

EXPECTED = {
    "alertmanager-0.25-webhook-v4-firing.json": [
        AlertSignal(
            status=SignalStatus.FIRING,
            summary="Always-firing test alert",
            severity=Severity.CRITICAL,
            labels={
                "alertname": "AlwaysFiring",
                "monitor": "itsm-lab",
                "service": "payments-api",
                "severity": "critical",
            },
            identity="28035806cce32950",
            annotations={
                "description": "vector(1) is 1 - test of the ITSM webhook",
                "summary": "Always-firing test alert",
            },
            starts_at=utc("2026-11-27T14:07:03.206Z"),
            ends_at=None,
            links=(Link(href="http://127.0.0.1:19090/graph?g0.expr=vector%281%29&g0.tab=1", text="Source"),),
            details={"group_key": '{}:{alertname="AlwaysFiring"}', "receiver": "itsm-webhook"},
        )
    ],
    "alertmanager-0.25-webhook-v4-firing-prometheus-labels.json": [short_lived(SignalStatus.FIRING, None)],
    "alertmanager-0.25-webhook-v4-resolved.json": [
        short_lived(SignalStatus.RESOLVED, utc("2026-11-27T14:07:43.206Z")),
    ],
    "alertmanager-0.25-webhook-v4-group-of-two.json": [disk_full_db1(SignalStatus.FIRING, None), DISK_FULL_DB2],
    # The group says firing; db1 inside it has resolved.
    "alertmanager-0.25-webhook-v4-group-firing-with-one-resolved.json": [
        disk_full_db1(SignalStatus.RESOLVED, utc("2026-11-27T14:10:42Z")),
        DISK_FULL_DB2,
    ],
}


def notification(**fields):
    """The captured group-of-two notification with some top-level keys replaced."""
    body = copy.deepcopy(CAPTURED["alertmanager-0.25-webhook-v4-group-of-two.json"].body)
    return {**body, **fields}


def first_alert(**fields):
    """The captured group-of-two notification whose first alert has some keys replaced."""
    body = notification()
    body["alerts"][0] = {**body["alerts"][0], **fields}
    return body


def test_every_captured_request_has_its_expected_signals():
    assert sorted(CAPTURED) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(CAPTURED))
def test_replaying_a_captured_request(name):
    captured = CAPTURED[name]

    assert (captured.method, captured.path) == ("POST", "/api/alertmanager/webhook")
    assert parse(captured.body, received_at=captured.received_at) == EXPECTED[name]


def test_each_alert_keeps_its_own_status_whatever_the_group_says():
    body = CAPTURED["alertmanager-0.25-webhook-v4-group-firing-with-one-resolved.json"].body

    assert body["status"] == "firing"
    assert [signal.status for signal in parse(body, received_at=RECEIVED)] == [
        SignalStatus.RESOLVED,
        SignalStatus.FIRING,
    ]


def test_truncated_alerts_are_told_on_every_signal():
    signals = parse(notification(truncatedAlerts=3), received_at=RECEIVED)

    assert [signal.details for signal in signals] == [{**DISK_FULL, "truncated_alerts": 3}] * 2


def test_without_a_fingerprint_the_identity_is_computed_from_the_labels():
    body = first_alert(fingerprint=None)

    assert parse(body, received_at=RECEIVED)[0].identity == "448cc93ea2d7e986"


def test_without_startsat_the_alert_starts_when_keel_received_it():
    body = first_alert(startsAt=None)

    assert parse(body, received_at=RECEIVED)[0].starts_at == RECEIVED


def test_unknown_keys_are_ignored_as_newer_alertmanagers_add_them():
    newer = notification(notification_reason="new_alerts", routeLabels={"team": "dba"})
    newer["alerts"][1]["silencedBy"] = []

    assert parse(newer, received_at=RECEIVED) == parse(notification(), received_at=RECEIVED)


@pytest.mark.parametrize(
    ("word", "severity"),
    [
        ("critical", Severity.CRITICAL),
        ("page", Severity.CRITICAL),
        ("P1", Severity.CRITICAL),
        (" Error ", Severity.ERROR),
        ("major", Severity.ERROR),
        ("high", Severity.ERROR),
        ("warning", Severity.WARNING),
        ("warn", Severity.WARNING),
        ("minor", Severity.WARNING),
        ("medium", Severity.WARNING),
        ("info", Severity.INFO),
        ("informational", Severity.INFO),
        ("low", Severity.INFO),
        ("none", Severity.INFO),
        ("sev-unknown", Severity.WARNING),
    ],
)
def test_the_severity_label_is_mapped_onto_keels_four(word, severity):
    labels = {"alertname": "DiskFull", "severity": word}

    [signal, _] = parse(first_alert(labels=labels), received_at=RECEIVED)

    assert signal.severity == severity
    assert signal.labels["severity"] == word


def test_an_alert_without_a_severity_label_is_a_warning():
    [signal, _] = parse(first_alert(labels={"alertname": "DiskFull"}), received_at=RECEIVED)

    assert signal.severity == Severity.WARNING


def test_the_generator_url_and_well_known_annotations_are_links():
    annotations = {"runbook_url": "https://runbooks.example/disk", "dashboard_url": "https://grafana.example/d/disk"}
    body = first_alert(generatorURL="http://prometheus:9090/graph?g0.expr=up", annotations=annotations)

    assert parse(body, received_at=RECEIVED)[0].links == (
        Link(href="http://prometheus:9090/graph?g0.expr=up", text="Source"),
        Link(href="https://runbooks.example/disk", text="Runbook"),
        Link(href="https://grafana.example/d/disk", text="Dashboard"),
    )


def test_the_summary_without_a_summary_annotation_is_the_description_first_line_or_the_alert_name():
    body = notification()
    body["alerts"][0]["annotations"] = {"description": "Filesystem /var at 97%\non db1"}
    body["alerts"][1]["annotations"] = {}

    assert [signal.summary for signal in parse(body, received_at=RECEIVED)] == [
        "Filesystem /var at 97%",
        "DiskFull on db2:9100",
    ]


def test_a_notification_without_alerts_is_no_signals():
    assert parse(notification(alerts=[]), received_at=RECEIVED) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "An Alertmanager webhook body must be a JSON object (got a list)"),
        ("firing", "An Alertmanager webhook body must be a JSON object (got 'firing')"),
        (
            notification(version="3"),
            "version must be \"4\": Keel reads Alertmanager webhook payload version 4 (got '3')",
        ),
        (
            notification(version=4),
            'version must be "4": Keel reads Alertmanager webhook payload version 4 (got the number 4)',
        ),
        (
            {"alerts": [], "status": "firing"},
            'version must be "4": Keel reads Alertmanager webhook payload version 4 (got nothing)',
        ),
        (notification(alerts=None), "alerts must be a list of alerts (got null)"),
        (notification(alerts={"0": {}}), "alerts must be a list of alerts (got an object)"),
        (notification(alerts=["firing"]), "alerts[0] must be an alert object (got 'firing')"),
        (
            notification(truncatedAlerts=-1),
            "truncatedAlerts must be a whole number of alerts left out, 0 or more (got the number -1)",
        ),
        (
            notification(truncatedAlerts="2"),
            "truncatedAlerts must be a whole number of alerts left out, 0 or more (got '2')",
        ),
        (
            notification(truncatedAlerts=True),
            "truncatedAlerts must be a whole number of alerts left out, 0 or more (got true)",
        ),
        (notification(groupKey=["a"]), "groupKey must be text (got a list)"),
        (first_alert(status="pending"), "alerts[0].status must be firing or resolved (got 'pending')"),
        (first_alert(status=None), "alerts[0].status must be firing or resolved (got null)"),
        (
            first_alert(labels=[["alertname", "DiskFull"]]),
            "alerts[0].labels must be an object of label name → text (got a list)",
        ),
        (
            first_alert(labels={"alertname": "DiskFull", "port": 9100}),
            "alerts[0].labels.port must be text (got the number 9100)",
        ),
        (first_alert(annotations=[]), "alerts[0].annotations must be an object of annotation name → text (got a list)"),
        (first_alert(fingerprint=448), "alerts[0].fingerprint must be text (got the number 448)"),
        (
            first_alert(endsAt="2026-11-27 14:10"),
            "alerts[0].endsAt must be an RFC 3339 date and time with a time zone, such as 2026-11-27T14:07:03Z "
            "(got '2026-11-27 14:10')",
        ),
        (
            first_alert(startsAt="2026-11-27T14:08:30+25:00"),
            "alerts[0].startsAt must be an RFC 3339 date and time with a time zone, such as 2026-11-27T14:07:03Z "
            "(got '2026-11-27T14:08:30+25:00')",
        ),
        (
            first_alert(startsAt="0001-01-01T00:00:00+01:00"),
            "alerts[0].startsAt must be an RFC 3339 date and time with a time zone, such as 2026-11-27T14:07:03Z "
            "(got '0001-01-01T00:00:00+01:00')",
        ),
    ],
)
def test_a_malformed_notification_is_refused_with_what_to_fix(body, message):
    with pytest.raises(MalformedPayload) as refused:
        parse(body, received_at=RECEIVED)

    assert refused.value.message == message


def test_the_refusal_names_the_field():
    with pytest.raises(MalformedPayload) as refused:
        parse(first_alert(status="pending"), received_at=RECEIVED)

    assert refused.value.field == "alerts[0].status"


@given(json_values)
def test_any_json_is_either_read_or_refused_as_malformed(body):
    with contextlib.suppress(MalformedPayload):
        parse(body, received_at=RECEIVED)


@given(json_values)
def test_any_alert_object_is_either_read_or_refused_as_malformed(alert):
    with contextlib.suppress(MalformedPayload):
        parse(notification(alerts=[alert]), received_at=RECEIVED)


def test_the_computed_identity_agrees_with_what_alertmanager_wrote():
    signals = [signal for captured in CAPTURED.values() for signal in parse(captured.body, received_at=RECEIVED)]

    assert [signal.identity for signal in signals] == [fingerprint(signal.labels) for signal in signals]
