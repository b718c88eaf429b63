"""Prometheus 2.42 posting to Keel as to an Alertmanager: replayed captures, leases, and refusals."""

import contextlib
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keel.integrations.inbound.alertmanager.parse import parse as parse_alertmanager
from keel.integrations.inbound.parsed import AlertSignal, Link, MalformedPayload, Severity, SignalStatus
from keel.integrations.inbound.prometheus.fingerprint import fingerprint
from keel.integrations.inbound.prometheus.parse import parse
from tests.integrations.inbound.captured import fixtures, json_values, utc

CAPTURED = fixtures("prometheus")
RECEIVED = utc("2026-11-27T14:10:00Z")
SHORT_LIVED_SOURCE = Link(
    href="http://127.0.0.1:19090/graph?g0.expr=%28time%28%29+-+process_start_time_seconds%7Bjob%3D%22prometheus%22%7D%29+%3C+40&g0.tab=1",
    text="Source",
)

EXPECTED = {
    "prometheus-2.42-post-api-v2-alerts-firing.json": [
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
            ends_at=utc("2026-11-27T14:17:33.206Z"),
            links=(Link(href="http://127.0.0.1:19090/graph?g0.expr=vector%281%29&g0.tab=1", text="Source"),),
        )
    ],
    "prometheus-2.42-post-api-v2-alerts-resolved.json": [
        AlertSignal(
            status=SignalStatus.RESOLVED,
            summary="Short-lived alert on 127.0.0.1:19090",
            severity=Severity.WARNING,
            labels={
                "alertname": "ShortLived",
                "instance": "127.0.0.1:19090",
                "job": "prometheus",
                "monitor": "itsm-lab",
                "severity": "warning",
            },
            identity="6d48f71691adafdc",
            annotations={"summary": "Short-lived alert on 127.0.0.1:19090"},
            starts_at=utc("2026-11-27T14:07:13.206Z"),
            ends_at=utc("2026-11-27T14:07:43.206Z"),
            links=(SHORT_LIVED_SOURCE,),
        )
    ],
}


def alert(**fields):
    return {"labels": {"alertname": "DiskFull", "instance": "db1:9100"}, **fields}


def test_every_captured_request_has_its_expected_signals():
    assert sorted(CAPTURED) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(CAPTURED))
def test_replaying_a_captured_request(name):
    captured = CAPTURED[name]

    assert (captured.method, captured.path) == ("POST", "/prom/api/v2/alerts")
    assert parse(captured.body, received_at=captured.received_at) == EXPECTED[name]


def test_an_alert_sent_directly_and_through_alertmanager_is_the_same_alert():
    direct = CAPTURED["prometheus-2.42-post-api-v2-alerts-firing.json"]
    relayed = fixtures("alertmanager")["alertmanager-0.25-webhook-v4-firing.json"]

    [from_prometheus] = parse(direct.body, received_at=direct.received_at)
    [from_alertmanager] = parse_alertmanager(relayed.body, received_at=relayed.received_at)

    assert from_prometheus.identity == from_alertmanager.identity == "28035806cce32950"
    assert (from_prometheus.summary, from_prometheus.severity, from_prometheus.links) == (
        from_alertmanager.summary,
        from_alertmanager.severity,
        from_alertmanager.links,
    )
    assert (from_prometheus.labels, from_prometheus.annotations, from_prometheus.starts_at) == (
        from_alertmanager.labels,
        from_alertmanager.annotations,
        from_alertmanager.starts_at,
    )


def test_the_disk_full_alerts_get_the_fingerprints_alertmanager_gave_them():
    labels = {"alertname": "DiskFull", "severity": "critical", "team": "dba"}
    body = [{"labels": {**labels, "instance": "db1:9100"}}, {"labels": {**labels, "instance": "db2:9100"}}]

    assert [signal.identity for signal in parse(body, received_at=RECEIVED)] == ["448cc93ea2d7e986", "82a1c553a5964e3d"]


def test_an_alert_whose_lease_ends_when_keel_receives_it_is_resolved():
    [at_the_moment] = parse([alert(endsAt="2026-11-27T14:10:00Z")], received_at=RECEIVED)
    [a_microsecond_later] = parse([alert(endsAt="2026-11-27T14:10:00.000001Z")], received_at=RECEIVED)

    assert at_the_moment.status == SignalStatus.RESOLVED
    assert a_microsecond_later.status == SignalStatus.FIRING
    assert a_microsecond_later.ends_at == RECEIVED + timedelta(microseconds=1)


def test_without_endsat_an_alert_fires_open_ended_from_when_keel_received_it():
    [signal] = parse([alert()], received_at=RECEIVED)

    assert (signal.status, signal.starts_at, signal.ends_at) == (SignalStatus.FIRING, RECEIVED, None)


def test_without_startsat_a_resolved_alert_starts_when_it_ended_as_in_alertmanager():
    [signal] = parse([alert(endsAt="2026-11-27T14:00:00Z")], received_at=RECEIVED)

    assert signal.starts_at == signal.ends_at == utc("2026-11-27T14:00:00Z")


def test_times_are_read_in_utc_with_nanoseconds_cut_to_microseconds():
    [signal] = parse([alert(startsAt="2026-11-27T15:07:03.123456789+01:00")], received_at=RECEIVED)

    assert signal.starts_at == utc("2026-11-27T14:07:03.123456Z")
    assert signal.starts_at.utcoffset() == timedelta(0)


def test_labels_with_an_empty_value_are_dropped_before_the_fingerprint_as_alertmanager_does():
    [signal] = parse(
        [alert(labels={"alertname": "DiskFull", "instance": "db1:9100", "team": ""})], received_at=RECEIVED
    )

    assert signal.labels == {"alertname": "DiskFull", "instance": "db1:9100"}
    assert signal.identity == fingerprint({"alertname": "DiskFull", "instance": "db1:9100"})


def test_the_summary_falls_back_to_the_description_then_to_the_name_and_instance():
    body = [
        alert(annotations={"description": "\n  Disk 97% full  \nsecond line"}),
        alert(annotations={"summary": "   "}),
        alert(labels={"alertname": "Watchdog"}),
        alert(labels={"job": "node", "env": "prod"}),
    ]

    assert [signal.summary for signal in parse(body, received_at=RECEIVED)] == [
        "Disk 97% full",
        "DiskFull on db1:9100",
        "Watchdog",
        '{env="prod", job="node"}',
    ]


def test_runbook_and_dashboard_annotations_become_links_and_only_http_urls_do():
    annotations = {"runbook_url": "https://runbooks.example/disk", "dashboard_url": "javascript:alert(1)"}
    body = [alert(generatorURL="/graph?g0.expr=up", annotations=annotations)]

    [signal] = parse(body, received_at=RECEIVED)

    assert signal.links == (Link(href="https://runbooks.example/disk", text="Runbook"),)


def test_unknown_keys_are_ignored():
    [plain] = parse([alert()], received_at=RECEIVED)
    [extended] = parse([alert(receivedBy="future", status={"state": "x"})], received_at=RECEIVED)

    assert extended == plain


def test_an_empty_list_is_no_alerts():
    assert parse([], received_at=RECEIVED) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"alerts": []},
            "The body must be a JSON list of alerts, as Prometheus posts to /api/v2/alerts (got an object)",
        ),
        ("[]", "The body must be a JSON list of alerts, as Prometheus posts to /api/v2/alerts (got '[]')"),
        ([alert(), 7], "[1] must be an alert object (got the number 7)"),
        ([{"annotations": {}}], "[0].labels must be an object of label name → text (got nothing)"),
        ([{"labels": ["alertname"]}], "[0].labels must be an object of label name → text (got a list)"),
        ([{"labels": {"alertname": "X", "code": 500}}], "[0].labels.code must be text (got the number 500)"),
        ([{"labels": {}}], "[0].labels must name at least one label with a value (got none)"),
        ([{"labels": {"alertname": ""}}], "[0].labels must name at least one label with a value (got none)"),
        ([alert(annotations="disk")], "[0].annotations must be an object of annotation name → text (got 'disk')"),
        ([alert(annotations={"value": 0.97})], "[0].annotations.value must be text (got the number 0.97)"),
        ([alert(generatorURL=True)], "[0].generatorURL must be text (got true)"),
        (
            [alert(endsAt="yesterday")],
            "[0].endsAt must be an RFC 3339 date and time with a time zone, such as 2026-11-27T14:07:03Z "
            "(got 'yesterday')",
        ),
        (
            [alert(startsAt="2026-11-27T14:07:03")],
            "[0].startsAt must be an RFC 3339 date and time with a time zone, such as 2026-11-27T14:07:03Z "
            "(got '2026-11-27T14:07:03')",
        ),
        (
            [alert(startsAt="2026-13-27T14:07:03Z")],
            "[0].startsAt must be an RFC 3339 date and time with a time zone, such as 2026-11-27T14:07:03Z "
            "(got '2026-13-27T14:07:03Z')",
        ),
        (
            [alert(startsAt=1795788423)],
            "[0].startsAt must be an RFC 3339 date and time with a time zone, such as 2026-11-27T14:07:03Z "
            "(got the number 1795788423)",
        ),
        (
            [alert(startsAt="2026-11-27T14:07:03Z", endsAt="2026-11-27T14:00:00Z")],
            "[0].endsAt (2026-11-27T14:00:00+00:00) must not be before startsAt (2026-11-27T14:07:03+00:00)",
        ),
    ],
)
def test_a_malformed_request_is_refused_with_what_to_fix(body, message):
    with pytest.raises(MalformedPayload) as refused:
        parse(body, received_at=RECEIVED)

    assert refused.value.message == message


def test_a_naive_received_at_is_a_programming_error():
    with pytest.raises(ValueError, match="aware"):
        parse([], received_at=RECEIVED.replace(tzinfo=None))


@given(json_values)
def test_any_json_is_either_read_or_refused_as_malformed(body):
    with contextlib.suppress(MalformedPayload):
        parse(body, received_at=RECEIVED)


label_values = st.text(min_size=1, max_size=10)


@given(st.lists(st.tuples(st.text(max_size=10), label_values), min_size=1, max_size=6, unique_by=lambda pair: pair[0]))
def test_the_identity_is_the_fingerprint_of_the_labels_in_any_order(pairs):
    [forwards] = parse([{"labels": dict(pairs)}], received_at=RECEIVED)
    [backwards] = parse([{"labels": dict(reversed(pairs))}], received_at=RECEIVED)

    assert forwards.identity == backwards.identity == fingerprint(dict(pairs))
