"""The generic webhook: the Grafana and Zabbix presets over their samples, and any mapping over any JSON."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keel.integrations.inbound.generic.parse import FieldMapping, parse
from keel.integrations.inbound.generic.presets import PRESETS
from keel.integrations.inbound.parsed import AlertSignal, Link, MalformedPayload, Severity, SignalStatus
from keel.lib.errors import InvalidInput
from tests.integrations.inbound.captured import fixtures, json_scalars, utc

SAMPLES = fixtures("generic")
RECEIVED = utc("2026-11-27T14:20:00Z")

GRAFANA = "https://grafana.example"
DB3_LABELS = {
    "alertname": "HighMemoryUsage",
    "grafana_folder": "Infrastructure",
    "instance": "db-3:9100",
    "service": "payments",
    "severity": "critical",
    "team": "dba",
    "resource": "db-3:9100",
}
DB4_LABELS = {
    "alertname": "HighMemoryUsage",
    "grafana_folder": "Infrastructure",
    "instance": "db-4:9100",
    "service": "payments",
    "team": "dba",
    "resource": "db-4:9100",
}
SOURCE = Link(href=f"{GRAFANA}/alerting/grafana/fe2kj1q9x/view?orgId=1", text="Source")
SILENCE = f"{GRAFANA}/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DHighMemoryUsage&matcher=instance%3D"


def db3(status, ends_at, values):
    return AlertSignal(
        status=status,
        summary="Memory above 90% on db-3",
        severity=Severity.CRITICAL,
        labels=DB3_LABELS,
        identity="a717e643ae303817",
        annotations={
            "description": "Memory usage on db-3:9100 has been above 90% for 5 minutes.",
            "runbook_url": "https://runbooks.example/memory",
            "summary": "Memory above 90% on db-3",
        },
        starts_at=utc("2026-11-27T14:19:50.123456Z"),
        ends_at=ends_at,
        links=(
            SOURCE,
            Link(href=f"{GRAFANA}/d/node-exporter?orgId=1", text="Dashboard"),
            Link(href=f"{GRAFANA}/d/node-exporter?orgId=1&viewPanel=4", text="Panel"),
            Link(href=f"{SILENCE}db-3%3A9100&orgId=1", text="Silence"),
            Link(href="https://runbooks.example/memory", text="Runbook"),
        ),
        details={
            "values": {"B": values[0], "C": values[1]},
            "value_string": f"[ var='B' labels={{instance=db-3:9100}} value={values[0]} ], "
            f"[ var='C' labels={{instance=db-3:9100}} value={values[1]} ]",
        },
    )


def db4(value):
    # No annotations, no severity label, empty dashboard and panel URLs: the summary falls back to
    # the alert's name, the severity is warning, and only the real links remain.
    return AlertSignal(
        status=SignalStatus.FIRING,
        summary="HighMemoryUsage",
        severity=Severity.WARNING,
        labels=DB4_LABELS,
        identity="aa244b504ccf03dc",
        annotations={},
        starts_at=utc("2026-11-27T14:19:50Z"),
        ends_at=None,
        links=(SOURCE, Link(href=f"{SILENCE}db-4%3A9100&orgId=1", text="Silence")),
        details={
            "values": {"B": value, "C": 1},
            "value_string": f"[ var='B' labels={{instance=db-4:9100}} value={value} ], "
            "[ var='C' labels={instance=db-4:9100} value=1 ]",
        },
    )


def zabbix(status, opdata, received_at):
    return AlertSignal(
        status=status,
        summary="High CPU utilization (over 90% for 5m)",
        severity=Severity.ERROR,
        labels={
            "host": "db-3",
            "host_ip": "10.0.4.13",
            "trigger_id": "23456",
            "severity": "High",
            "resource": "db-3",
            "service": "payments",
        },
        identity="40217",
        annotations={
            "description": "CPU utilization is too high. The system might be slow to respond.",
            "opdata": opdata,
        },
        starts_at=utc(received_at),
        links=(Link(href="https://zabbix.example/tr_events.php?triggerid=23456&eventid=40217", text="Zabbix event"),),
        details={
            "event_date": "2026.11.27",
            "event_time": "15:20:05",
            "tags": "class:os, component:cpu, service:payments",
            "update_status": "0",
            "acknowledged": "No",
        },
    )


EXPECTED = {
    "grafana-11-webhook-firing.json": [db3(SignalStatus.FIRING, None, (93.7, 1)), db4(91.2)],
    "grafana-11-webhook-one-resolved.json": [
        db3(SignalStatus.RESOLVED, utc("2026-11-27T14:30:50Z"), (71.4, 0)),
        db4(92.8),
    ],
    "zabbix-7.0-webhook-problem.json": [
        zabbix(SignalStatus.FIRING, "Current utilization: 96.3 %", "2026-11-27T14:20:07Z")
    ],
    "zabbix-7.0-webhook-resolved.json": [
        zabbix(SignalStatus.RESOLVED, "Current utilization: 41.8 %", "2026-11-27T14:41:09Z")
    ],
}


def mapping(**config):
    return FieldMapping.from_config({"summary": "title", **config})


def read(body, **config):
    return parse(body, mapping=mapping(**config), received_at=RECEIVED)


def test_every_sample_has_its_expected_signals_and_every_preset_a_sample():
    assert sorted(SAMPLES) == sorted(EXPECTED)
    assert sorted({name.split("-")[0] for name in SAMPLES}) == sorted(PRESETS)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_replaying_a_sample_through_its_preset(name):
    sample = SAMPLES[name]
    preset = FieldMapping.from_config(PRESETS[name.split("-")[0]])

    assert parse(sample.body, mapping=preset, received_at=sample.received_at) == EXPECTED[name]


def test_without_items_the_body_is_one_alert_or_a_list_of_alerts():
    assert [signal.summary for signal in read({"title": "Disk full"})] == ["Disk full"]
    assert [signal.summary for signal in read([{"title": "a"}, {"title": "b"}])] == ["a", "b"]


def test_items_is_a_path_to_the_list_and_paths_are_read_inside_each_alert():
    body = {"data": [{"events": [{"name": {"text": "Disk full"}}, {"name": {"text": " CPU hot "}}]}]}

    signals = read(body, items="data.0.events", summary="name.text")

    assert [signal.summary for signal in signals] == ["Disk full", "CPU hot"]


def test_the_first_path_that_holds_a_value_wins():
    body = [{"title": " ", "name": "b"}, {"name": None, "alertname": 7}]

    assert [signal.summary for signal in read(body, summary=["title", "name", "alertname"])] == ["b", "7"]


def test_only_the_summary_is_required():
    [signal] = read({"title": "Disk full"})

    assert signal == AlertSignal(
        status=SignalStatus.FIRING,
        summary="Disk full",
        severity=Severity.WARNING,
        labels={},
        identity=None,
        starts_at=RECEIVED,
    )


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("problem", SignalStatus.FIRING),
        ("Alerting", SignalStatus.FIRING),
        (1, SignalStatus.FIRING),
        ("ACK", SignalStatus.ACKNOWLEDGED),
        ("OK", SignalStatus.RESOLVED),
        ("recovered", SignalStatus.RESOLVED),
        ("0", SignalStatus.RESOLVED),
        (0, SignalStatus.RESOLVED),
        (None, SignalStatus.FIRING),
    ],
)
def test_the_status_is_looked_up_in_the_default_words(value, status):
    assert read({"title": "t", "state": value}, status="state")[0].status == status


def test_the_users_status_words_win_over_the_defaults():
    body = [{"title": "t", "state": "OK"}, {"title": "t", "state": "pending"}]

    signals = read(body, status="state", status_map={"ok": "acknowledged", "Pending": "firing"})

    assert [signal.status for signal in signals] == [SignalStatus.ACKNOWLEDGED, SignalStatus.FIRING]


@pytest.mark.parametrize(
    ("value", "severity"),
    [
        ("Disaster", Severity.CRITICAL),
        ("High", Severity.ERROR),
        ("Average", Severity.WARNING),
        ("Warning", Severity.WARNING),
        ("Information", Severity.INFO),
        ("Not classified", Severity.INFO),
        ("critical", Severity.CRITICAL),
        ("something else", Severity.WARNING),
        (None, Severity.WARNING),
    ],
)
def test_the_severity_is_looked_up_in_the_default_words(value, severity):
    assert read({"title": "t", "sev": value}, severity="sev")[0].severity == severity


def test_the_users_severity_words_win_over_the_defaults():
    [signal] = read({"title": "t", "sev": 5}, severity="sev", severity_map={"5": "critical"})

    assert signal.severity == Severity.CRITICAL


def test_labels_are_copied_objects_then_named_paths_then_resource_and_service():
    body = {
        "title": "t",
        "tags": {"team": "dba", "port": 5432, "primary": True, "nested": {"a": 1}, "list": [1], "gone": None},
        "host": {"name": "db-3", "team": "platform"},
        "service": "payments",
        "resource": "ignored: the mapping's resource is the host",
    }

    [signal] = read(
        body, labels=["tags", {"team": "host.team", "host": "host.name"}], resource="host.name", service="service"
    )

    assert signal.labels == {
        "team": "platform",
        "port": "5432",
        "primary": "true",
        "host": "db-3",
        "resource": "db-3",
        "service": "payments",
    }


def test_annotations_are_read_like_labels():
    body = {"title": "t", "notes": {"runbook": "https://runbooks.example/x"}, "why": "disk"}

    [signal] = read(body, annotations=["notes", {"cause": "why"}])

    assert signal.annotations == {"runbook": "https://runbooks.example/x", "cause": "disk"}


def test_an_absent_label_object_or_field_is_simply_left_out():
    [signal] = read({"title": "t"}, labels=["tags", {"team": "owner.team"}])

    assert signal.labels == {}


@pytest.mark.parametrize(
    ("value", "starts_at"),
    [
        ("2026-11-27T15:07:03+01:00", utc("2026-11-27T14:07:03Z")),
        (1795788423, utc("2026-11-27T14:07:03Z")),
        (1795788423.5, utc("2026-11-27T14:07:03.5Z")),
        ("0001-01-01T00:00:00Z", RECEIVED),
        (None, RECEIVED),
    ],
)
def test_the_start_is_rfc_3339_or_unix_seconds_and_else_when_keel_received_it(value, starts_at):
    assert read({"title": "t", "at": value}, starts_at="at")[0].starts_at == starts_at


def test_an_end_is_read_and_go_zero_time_is_no_end():
    body = [{"title": "t", "end": "2026-11-27T14:30:00Z"}, {"title": "t", "end": "0001-01-01T00:00:00Z"}]

    assert [signal.ends_at for signal in read(body, ends_at="end")] == [utc("2026-11-27T14:30:00Z"), None]


def test_links_keep_only_http_urls_and_details_copy_any_json():
    body = {"title": "t", "url": "https://x.example/1", "bad": "javascript:alert(1)", "data": {"values": [1, 2]}}

    [signal] = read(body, links={"Open": "url", "Bad": "bad", "None": "nothing"}, details={"data": "data", "x": "nope"})

    assert signal.links == (Link(href="https://x.example/1", text="Open"),)
    assert signal.details == {"data": {"values": [1, 2]}}


def test_the_dedup_key_is_the_identity_as_text():
    assert [signal.identity for signal in read([{"title": "t", "id": 40217}, {"title": "t"}], dedup_key="id")] == [
        "40217",
        None,
    ]


def test_keys_the_mapping_does_not_name_are_ignored():
    assert read({"title": "t", "extra": {"deep": [1]}}) == read({"title": "t"})


@pytest.mark.parametrize(
    ("body", "config", "message", "where"),
    [
        (3, {}, "The body must be a JSON object (one alert) or a list of alert objects (got the number 3)", None),
        (
            {"alerts": {}},
            {"items": "alerts"},
            "The body has no list of alerts at 'alerts' (the mapping's 'items') (got an object)",
            "alerts",
        ),
        (
            {},
            {"items": "alerts"},
            "The body has no list of alerts at 'alerts' (the mapping's 'items') (got nothing)",
            "alerts",
        ),
        ({"alerts": ["x"]}, {"items": "alerts"}, "alerts[0] must be an alert object (got 'x')", "alerts[0]"),
        ([{"title": "a"}, None], {}, "[1] must be an alert object (got null)", "[1]"),
        (
            {"alerts": [{"title": "a"}, {"title": "b"}, {"name": " "}]},
            {"items": "alerts", "summary": ["title", "name"]},
            "alerts[2] has no summary: nothing at title or name (the mapping's 'summary')",
            "alerts[2]",
        ),
        ({"name": "x"}, {}, "The alert has no summary: nothing at title (the mapping's 'summary')", None),
        ([{"title": "a"}, {}], {}, "[1] has no summary: nothing at title (the mapping's 'summary')", "[1]"),
        ({"title": ["a"]}, {}, "title must be text or a number (got a list)", "title"),
        ([{"title": {"text": "a"}}], {}, "[0].title must be text or a number (got an object)", "[0].title"),
        (
            {"title": "t", "state": "pending"},
            {"status": "state"},
            "state is 'pending', a status the mapping does not know: add it to status_map as one of firing, "
            "acknowledged, resolved",
            "state",
        ),
        (
            {"alerts": [{"title": "t", "tags": "team=dba"}]},
            {"items": "alerts", "labels": "tags"},
            "alerts[0].tags must be an object of name → text (got 'team=dba')",
            "alerts[0].tags",
        ),
        (
            {"title": "t", "owner": {"team": ["dba"]}},
            {"labels": {"team": "owner.team"}},
            "owner.team must be text or a number (got a list)",
            "owner.team",
        ),
        (
            {"title": "t", "at": "27/11/2026 14:07"},
            {"starts_at": "at"},
            "at must be an RFC 3339 date and time such as 2026-11-27T14:07:03Z, or a Unix time in seconds "
            "(got '27/11/2026 14:07')",
            "at",
        ),
        (
            {"title": "t", "at": 1e300},
            {"starts_at": "at"},
            "at must be an RFC 3339 date and time such as 2026-11-27T14:07:03Z, or a Unix time in seconds "
            "(got the number 1e+300)",
            "at",
        ),
        (
            {"title": "t", "end": True},
            {"ends_at": "end"},
            "end must be an RFC 3339 date and time such as 2026-11-27T14:07:03Z, or a Unix time in seconds (got true)",
            "end",
        ),
    ],
)
def test_a_malformed_alert_is_refused_naming_the_alert_and_the_path(body, config, message, where):
    with pytest.raises(MalformedPayload) as refused:
        read(body, **config)

    assert (refused.value.message, refused.value.field) == (message, where)


# Keys and paths from one small vocabulary, so that arbitrary mappings meet arbitrary bodies.
keys = st.sampled_from(["a", "b", "0", "1", "alerts"])
paths = st.lists(keys, min_size=1, max_size=3).map(".".join)
bodies = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4), max_leaves=15
)
path_settings = st.one_of(paths, st.lists(paths, min_size=1, max_size=2), json_scalars)
configs = st.fixed_dictionaries(
    {"summary": path_settings},
    optional={
        "items": path_settings,
        "severity": path_settings,
        "status": path_settings,
        "dedup_key": path_settings,
        "starts_at": path_settings,
        "ends_at": path_settings,
        "resource": path_settings,
        "labels": st.one_of(paths, st.dictionaries(keys, paths, max_size=2), st.lists(paths, max_size=2)),
        "annotations": st.one_of(paths, st.dictionaries(keys, paths, max_size=2)),
        "links": st.dictionaries(keys, paths, max_size=2),
        "details": st.dictionaries(keys, paths, max_size=2),
        "status_map": st.dictionaries(keys, st.sampled_from(["firing", "resolved", "open"]), max_size=2),
    },
)


@given(configs, bodies)
def test_any_mapping_over_any_json_reads_it_or_refuses_it_as_invalid_input(config, body):
    with contextlib.suppress(InvalidInput):  # MalformedPayload is the InvalidInput of a body
        parse(body, mapping=FieldMapping.from_config(config), received_at=RECEIVED)


@pytest.mark.parametrize("name", sorted(PRESETS))
@given(bodies)
def test_the_presets_over_any_json_read_it_or_refuse_it_as_malformed(name, body):
    with contextlib.suppress(MalformedPayload):
        parse(body, mapping=FieldMapping.from_config(PRESETS[name]), received_at=RECEIVED)
