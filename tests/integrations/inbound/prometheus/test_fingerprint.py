"""The label-set fingerprint is Prometheus's own: proved on every alert Alertmanager 0.25 fingerprinted for us."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keel.integrations.inbound.prometheus.fingerprint import fingerprint
from tests.integrations.inbound.captured import fixtures

ALERTMANAGER_FIXTURES = fixtures("alertmanager")
FINGERPRINTED = {
    (captured.name, index): (alert["labels"], alert["fingerprint"])
    for captured in ALERTMANAGER_FIXTURES.values()
    for index, alert in enumerate(captured.body["alerts"])
}


@pytest.mark.parametrize("where", sorted(FINGERPRINTED))
def test_every_fingerprint_alertmanager_wrote_is_computed_from_the_labels(where):
    labels, written = FINGERPRINTED[where]

    assert fingerprint(labels) == written


def test_the_captured_alerts_by_name():
    always_firing = {
        "alertname": "AlwaysFiring",
        "monitor": "itsm-lab",
        "service": "payments-api",
        "severity": "critical",
    }
    short_lived = {
        "alertname": "ShortLived",
        "instance": "127.0.0.1:19090",
        "job": "prometheus",
        "monitor": "itsm-lab",
        "severity": "warning",
    }
    disk_full = {"alertname": "DiskFull", "severity": "critical", "team": "dba"}

    assert fingerprint(always_firing) == "28035806cce32950"
    assert fingerprint(short_lived) == "6d48f71691adafdc"
    assert fingerprint({**disk_full, "instance": "db1:9100"}) == "448cc93ea2d7e986"
    assert fingerprint({**disk_full, "instance": "db2:9100"}) == "82a1c553a5964e3d"


def test_the_empty_label_set_is_the_fnv_offset_basis():
    assert fingerprint({}) == "cbf29ce484222325"


def test_the_separator_keeps_names_and_values_apart():
    assert fingerprint({"a": "bc"}) != fingerprint({"ab": "c"})
    assert fingerprint({"a": "b", "c": "d"}) != fingerprint({"a": "bc", "": "d"})


def test_a_lone_surrogate_counts_as_the_replacement_character_as_in_go():
    assert fingerprint({"alertname": "\ud800"}) == fingerprint({"alertname": "\ufffd"})


@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12)), max_size=8, unique_by=lambda pair: pair[0]))
def test_the_fingerprint_does_not_depend_on_the_order_of_the_labels(pairs):
    assert fingerprint(dict(pairs)) == fingerprint(dict(reversed(pairs))) == fingerprint(dict(sorted(pairs)))


@given(st.dictionaries(st.text(max_size=12), st.text(max_size=12), max_size=8))
def test_the_fingerprint_is_sixteen_lowercase_hex_digits(labels):
    assert len(fingerprint(labels)) == 16
    assert int(fingerprint(labels), 16) < 2**64
    assert fingerprint(labels) == fingerprint(labels).lower()
