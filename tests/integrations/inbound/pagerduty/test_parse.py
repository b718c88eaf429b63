"""PagerDuty Events API v2 as python-pagerduty 7.2.0 and Alertmanager 0.25 send it: replays, validation, identity."""

import contextlib
import copy

import pytest
from hypothesis import given

from keel.integrations.inbound.pagerduty.parse import parse, parse_change, routing_key
from keel.integrations.inbound.parsed import AlertSignal, ChangeSignal, Link, MalformedPayload, Severity, SignalStatus
from tests.integrations.inbound.captured import fixtures, json_values, utc

CAPTURED = fixtures("pagerduty")
RECEIVED = utc("2026-11-27T14:14:15Z")
KEY = "0123456789abcdef0123456789abcdef"
ALERTMANAGER_KEY = "e806f9999deef38dfed215606d0ef6bd8810bba78b41b96e5387db5dedd96fb1"
ALERTMANAGER_RULE = (
    "Labels:\n - alertname = HighErrorRate\n - instance = web-1:8080\n - service = checkout\n"
    " - severity = critical\n - team = pd\nAnnotations:\n - description = error ratio 0.07 for 5m\n"
    " - summary = 5xx rate above 5% on checkout\nSource: http://127.0.0.1:19090/graph\n"
)
ALERTMANAGER_LINK = Link(href="http://127.0.0.1:19093/#/alerts?receiver=pagerduty-compat", text="Alertmanager")


def status_only(status, identity):
    return [AlertSignal(status=status, summary="", severity=None, labels={}, identity=identity)]


EXPECTED = {
    "python-pagerduty-7.2.0-events-v2-trigger.json": [
        AlertSignal(
            status=SignalStatus.FIRING,
            summary="Disk /var 95% full on db-3",
            severity=Severity.WARNING,
            labels={"source": "db-3.example.internal"},
            identity="disk-db-3-var",
            starts_at=RECEIVED,
            links=(Link(href="https://grafana.local/d/abc", text="dashboard"),),
            details={"custom_details": {"mount": "/var", "used_pct": 95}},
        )
    ],
    "python-pagerduty-7.2.0-events-v2-acknowledge.json": status_only(SignalStatus.ACKNOWLEDGED, "disk-db-3-var"),
    "python-pagerduty-7.2.0-events-v2-resolve.json": status_only(SignalStatus.RESOLVED, "disk-db-3-var"),
    "alertmanager-0.25-pagerduty-events-v2-trigger.json": [
        AlertSignal(
            status=SignalStatus.FIRING,
            summary="[FIRING:1] HighErrorRate (web-1:8080 checkout critical pd)",
            severity=Severity.ERROR,
            labels={"source": "Alertmanager"},
            identity=ALERTMANAGER_KEY,
            starts_at=utc("2026-11-27T14:11:04Z"),
            links=(ALERTMANAGER_LINK,),
            details={
                "client": "Alertmanager",
                "custom_details": {"firing": ALERTMANAGER_RULE, "num_firing": "1", "num_resolved": "0", "resolved": ""},
            },
        )
    ],
    # Alertmanager sends its whole payload with a resolve too; a resolve says only which alert.
    "alertmanager-0.25-pagerduty-events-v2-resolve.json": status_only(SignalStatus.RESOLVED, ALERTMANAGER_KEY),
}
EXPECTED_CHANGES = {
    "python-pagerduty-7.2.0-events-v2-change.json": [
        ChangeSignal(
            summary="Deployed checkout v2.3.1",
            source="ci-runner-7",
            at=RECEIVED,
            details={"custom_details": {"build": 812}},
        )
    ],
}


def trigger(**fields):
    """The captured python-pagerduty trigger with some top-level keys replaced (None removes a key)."""
    event = {**copy.deepcopy(CAPTURED["python-pagerduty-7.2.0-events-v2-trigger.json"].body), **fields}
    return {key: value for key, value in event.items() if value is not None}


def with_payload(**fields):
    """The captured trigger with some ``payload`` keys replaced (None removes a key)."""
    payload = {**trigger()["payload"], **fields}
    return trigger(payload={key: value for key, value in payload.items() if value is not None})


def errors_of(call, event):
    with pytest.raises(MalformedPayload) as refused:
        call(event, received_at=RECEIVED)
    return refused.value.details["errors"]


def test_every_captured_request_has_its_expected_signals():
    assert sorted(CAPTURED) == sorted({**EXPECTED, **EXPECTED_CHANGES})


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_replaying_a_captured_event(name):
    captured = CAPTURED[name]

    assert (captured.method, captured.path.removeprefix("/pagerduty")) == ("POST", "/v2/enqueue")
    assert parse(captured.body, received_at=captured.received_at) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_CHANGES))
def test_replaying_a_captured_change_event(name):
    captured = CAPTURED[name]

    assert (captured.method, captured.path) == ("POST", "/v2/change/enqueue")
    assert parse_change(captured.body, received_at=captured.received_at) == EXPECTED_CHANGES[name]


@pytest.mark.parametrize("name", sorted(CAPTURED))
def test_the_routing_key_is_read_from_every_captured_request(name):
    assert routing_key(CAPTURED[name].body) == KEY


@pytest.mark.parametrize("body", [[KEY], {"routing_key": ""}, {"routing_key": "  "}, {"routing_key": 12}, {}, None])
def test_a_request_without_a_routing_key_names_none(body):
    assert routing_key(body) is None


def test_a_trigger_without_dedup_key_gets_the_hash_of_its_canonical_json_without_the_routing_key():
    # printf '%s' '{"event_action":"trigger","links":[…],"payload":{…}}' | sha256sum | cut -c1-32
    [signal] = parse(trigger(dedup_key=None), received_at=RECEIVED)

    assert signal.identity == "9d50b448d6189b88474f985591d784dd"


def test_a_retried_trigger_gets_the_same_derived_key_and_a_different_trigger_another():
    [first] = parse(trigger(dedup_key=None), received_at=RECEIVED)
    [retried] = parse(trigger(dedup_key=None), received_at=utc("2026-11-27T14:15:15Z"))
    [other_key] = parse(trigger(dedup_key=None, routing_key="f" * 32), received_at=RECEIVED)
    [reordered] = parse(dict(reversed(trigger(dedup_key=None).items())), received_at=RECEIVED)
    [changed] = parse(with_payload(dedup_key=None, summary="Disk /var 96% full on db-3"), received_at=RECEIVED)

    assert first.identity == retried.identity == other_key.identity == reordered.identity
    assert changed.identity != first.identity


def test_a_blank_dedup_key_on_a_trigger_counts_as_none():
    [signal] = parse(trigger(dedup_key=" "), received_at=RECEIVED)

    assert len(signal.identity) == 32
    assert int(signal.identity, 16) >= 0


def test_source_component_group_and_class_are_labels():
    event = with_payload(component="postgres", group="prod-datapipe", **{"class": "disk"})

    [signal] = parse(event, received_at=RECEIVED)

    assert signal.labels == {
        "source": "db-3.example.internal",
        "component": "postgres",
        "group": "prod-datapipe",
        "class": "disk",
    }


def test_numbers_where_text_is_expected_are_read_as_text():
    [signal] = parse(with_payload(source=1, component=3.5), received_at=RECEIVED)

    assert signal.labels == {"source": "1", "component": "3.5"}


@pytest.mark.parametrize(
    ("timestamp", "starts_at"),
    [
        ("2015-07-17T08:42:58.315+0000", "2015-07-17T08:42:58.315Z"),
        ("2026-11-27T15:14:00+01:00", "2026-11-27T14:14:00Z"),
        ("2026-11-27T14:14:00Z", "2026-11-27T14:14:00Z"),
    ],
)
def test_the_payload_timestamp_is_when_the_alert_started(timestamp, starts_at):
    assert parse(with_payload(timestamp=timestamp), received_at=RECEIVED)[0].starts_at == utc(starts_at)


def test_images_and_the_client_are_kept_and_only_http_links_become_links():
    event = trigger(
        links=[{"href": "https://grafana.local/d/abc"}, {"href": "javascript:alert(1)", "text": "click"}],
        images=[
            {"src": "https://chart.example/disk.png", "href": "https://grafana.local/d/abc", "alt": "Disk"},
            {"src": "data:image/png;base64,AAAA"},
        ],
        client="Zabbix",
        client_url="https://zabbix.example",
    )

    [signal] = parse(event, received_at=RECEIVED)

    assert signal.links == (
        Link(href="https://grafana.local/d/abc", text=""),
        Link(href="https://zabbix.example", text="Zabbix"),
    )
    assert signal.details == {
        "client": "Zabbix",
        "custom_details": {"mount": "/var", "used_pct": 95},
        "images": [{"src": "https://chart.example/disk.png", "href": "https://grafana.local/d/abc", "alt": "Disk"}],
    }


def test_unknown_keys_are_ignored():
    extended = {**trigger(), "client_version": "9"}
    extended["payload"] = {**extended["payload"], "priority": "P1"}

    assert parse(extended, received_at=RECEIVED) == parse(trigger(), received_at=RECEIVED)


def test_an_acknowledge_or_resolve_ignores_its_payload():
    event = {"routing_key": KEY, "event_action": "resolve", "dedup_key": "k", "payload": "anything"}

    assert parse(event, received_at=RECEIVED) == status_only(SignalStatus.RESOLVED, "k")


@pytest.mark.parametrize(
    ("event", "errors"),
    [
        ([], ["The event must be a JSON object (got a list)"]),
        (trigger(routing_key=None), ["'routing_key' is missing or blank"]),
        (trigger(event_action=None), ["'event_action' is missing or blank"]),
        (
            trigger(event_action="create"),
            ["'event_action' is invalid (must be one of trigger, acknowledge, resolve; got 'create')"],
        ),
        (trigger(payload=None), ["'payload' is missing"]),
        (trigger(payload="disk full"), ["'payload' must be an object (got 'disk full')"]),
        (
            with_payload(summary=None, source=" ", severity=None),
            [
                "'payload.summary' is missing or blank",
                "'payload.source' is missing or blank",
                "'payload.severity' is missing or blank",
            ],
        ),
        (
            with_payload(severity="high"),
            ["'payload.severity' is invalid (must be one of critical, error, warning, info; got 'high')"],
        ),
        (
            with_payload(severity="Critical"),
            ["'payload.severity' is invalid (must be one of critical, error, warning, info; got 'Critical')"],
        ),
        (with_payload(summary="x" * 1025), ["'payload.summary' is longer than 1024 characters (got 1025)"]),
        (with_payload(summary=["disk"]), ["'payload.summary' must be text (got a list)"]),
        (with_payload(component={"name": "pg"}), ["'payload.component' must be text (got an object)"]),
        (
            with_payload(timestamp="17/07/2015"),
            ["'payload.timestamp' must be an ISO 8601 date and time like 2026-11-27T14:07:03Z (got '17/07/2015')"],
        ),
        (trigger(dedup_key="k" * 256), ["'dedup_key' is longer than 255 characters (got 256)"]),
        (trigger(links={"href": "https://x.example"}), ["'links' must be a list of objects (got an object)"]),
        (
            trigger(links=["https://x.example", {"text": "t"}]),
            [
                "'links[0]' must be an object (got 'https://x.example')",
                "'links[1].href' is missing or blank",
            ],
        ),
        (trigger(images=[{"alt": "chart"}]), ["'images[0].src' is missing or blank"]),
        (trigger(client=False), ["'client' must be text (got false)"]),
        (
            {"routing_key": KEY, "event_action": "acknowledge"},
            ["'dedup_key' is missing or blank"],
        ),
        (
            {"event_action": "resolve", "dedup_key": ""},
            ["'routing_key' is missing or blank", "'dedup_key' is missing or blank"],
        ),
    ],
)
def test_an_invalid_event_is_refused_with_every_error_pagerduty_would_list(event, errors):
    assert errors_of(parse, event) == errors


def test_the_refusal_message_says_what_is_invalid():
    with pytest.raises(MalformedPayload) as refused:
        parse(with_payload(source=None, severity="high"), received_at=RECEIVED)

    assert refused.value.message == (
        "Event object is invalid: 'payload.source' is missing or blank; "
        "'payload.severity' is invalid (must be one of critical, error, warning, info; got 'high')"
    )


def change(**fields):
    event = {**copy.deepcopy(CAPTURED["python-pagerduty-7.2.0-events-v2-change.json"].body), **fields}
    return {key: value for key, value in event.items() if value is not None}


def test_a_change_event_keeps_its_timestamp_and_links_and_may_omit_the_source():
    event = change(
        payload={"summary": "Config push", "timestamp": "2026-11-27T14:00:00Z"},
        links=[{"href": "https://ci.example/build/812", "text": "Build"}],
    )

    assert parse_change(event, received_at=RECEIVED) == [
        ChangeSignal(
            summary="Config push",
            source="",
            at=utc("2026-11-27T14:00:00Z"),
            links=(Link(href="https://ci.example/build/812", text="Build"),),
        )
    ]


@pytest.mark.parametrize(
    ("event", "errors"),
    [
        ("deploy", ["The event must be a JSON object (got 'deploy')"]),
        (change(payload=None), ["'payload' is missing"]),
        (
            change(routing_key=None, payload={"source": "ci"}),
            [
                "'routing_key' is missing or blank",
                "'payload.summary' is missing or blank",
            ],
        ),
        (change(payload={"summary": "s" * 1025}), ["'payload.summary' is longer than 1024 characters (got 1025)"]),
        (
            change(payload={"summary": "Deploy", "timestamp": "now"}),
            ["'payload.timestamp' must be an ISO 8601 date and time like 2026-11-27T14:07:03Z (got 'now')"],
        ),
        (change(links=[{"href": ["https://x.example"]}]), ["'links[0].href' must be text (got a list)"]),
    ],
)
def test_an_invalid_change_event_is_refused_with_every_error(event, errors):
    assert errors_of(parse_change, event) == errors


@given(json_values)
def test_any_json_is_either_an_event_or_refused_as_malformed(body):
    with contextlib.suppress(MalformedPayload):
        parse(body, received_at=RECEIVED)
    with contextlib.suppress(MalformedPayload):
        parse_change(body, received_at=RECEIVED)


@given(json_values)
def test_any_payload_object_in_a_trigger_is_either_read_or_refused_as_malformed(payload):
    with contextlib.suppress(MalformedPayload):
        parse(trigger(payload=payload), received_at=RECEIVED)
