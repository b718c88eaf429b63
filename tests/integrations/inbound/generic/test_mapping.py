"""A user's field mapping is checked once, and every refusal names the setting and what to write instead."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keel.integrations.inbound.generic.mapping import DEFAULT_STATUS_MAP, FieldMapping, FieldPath
from keel.integrations.inbound.generic.presets import PRESETS
from keel.integrations.inbound.parsed import Severity, SignalStatus
from keel.integrations.inbound.reading import MISSING
from keel.lib.errors import InvalidInput
from tests.integrations.inbound.captured import json_values


def path(text):
    return FieldPath(text=text, steps=tuple(text.split(".")))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_a_valid_mapping(name):
    assert FieldMapping.from_config(PRESETS[name]).summary


def test_the_smallest_mapping_names_only_the_summary():
    mapping = FieldMapping.from_config({"summary": "title"})

    assert mapping == FieldMapping(summary=(path("title"),))
    assert mapping.status_map == DEFAULT_STATUS_MAP


def test_a_setting_takes_one_path_or_a_list_tried_in_order():
    mapping = FieldMapping.from_config({"summary": ["annotations.summary", " labels.alertname "], "severity": "sev"})

    assert mapping.summary == (path("annotations.summary"), path("labels.alertname"))
    assert mapping.severity == (path("sev"),)


def test_labels_take_objects_to_copy_and_named_paths():
    mapping = FieldMapping.from_config(
        {"summary": "s", "labels": ["labels", {"team": "owner.team", "env": ["e", "f"]}]}
    )

    assert mapping.label_objects == (path("labels"),)
    assert mapping.label_fields == {"team": (path("owner.team"),), "env": (path("e"), path("f"))}


def test_the_users_words_are_added_to_the_defaults_case_insensitively():
    mapping = FieldMapping.from_config(
        {
            "summary": "s",
            "status_map": {"Pending": "firing", "OK": "acknowledged"},
            "severity_map": {" P0 ": "critical"},
        }
    )

    assert mapping.status_map["pending"] == SignalStatus.FIRING
    assert mapping.status_map["ok"] == SignalStatus.ACKNOWLEDGED
    assert mapping.status_map["recovered"] == SignalStatus.RESOLVED
    assert mapping.severity_map["p0"] == Severity.CRITICAL
    assert mapping.severity_map["disaster"] == Severity.CRITICAL


@pytest.mark.parametrize(
    ("document", "text", "value"),
    [
        ({"a": {"b": {"c": 1}}}, "a.b.c", 1),
        ({"a": [{"b": "x"}, {"b": "y"}]}, "a.1.b", "y"),
        ({"a": {"0": "key"}}, "a.0", "key"),
        ({"a": [1]}, "a.1", MISSING),
        ({"a": [1]}, "a.-1", MISSING),
        ({"a": "text"}, "a.b", MISSING),
        ({"a": None}, "a", None),
        ([{"a": 2}], "0.a", 2),
    ],
)
def test_a_path_walks_keys_and_list_positions(document, text, value):
    assert path(text).find(document) == value


@pytest.mark.parametrize(
    ("config", "message", "setting"),
    [
        (
            ["summary"],
            'The field mapping must be an object of setting → value, such as {"summary": "title"} (got a list)',
            None,
        ),
        (
            {},
            "The field mapping needs 'summary': the dotted path to each alert's summary, "
            'such as "annotations.summary"',
            "summary",
        ),
        (
            {"sumary": "title"},
            "'sumary' is not a field-mapping setting (did you mean 'summary'?); the settings are items, summary, "
            "severity, resource, service, dedup_key, status, starts_at, ends_at, labels, annotations, links, details, "
            "status_map, severity_map",
            "sumary",
        ),
        (
            {"summary": "title", "color": "red"},
            "'color' is not a field-mapping setting; the settings are items, summary, severity, resource, service, "
            "dedup_key, status, starts_at, ends_at, labels, annotations, links, details, status_map, severity_map",
            "color",
        ),
        (
            {"summary": 3},
            "'summary' must be a dotted path such as \"annotations.summary\", or a list of them tried in order "
            "(got the number 3)",
            "summary",
        ),
        (
            {"summary": []},
            "'summary' must be a dotted path such as \"annotations.summary\", or a list of them tried in order "
            "(got a list)",
            "summary",
        ),
        (
            {"summary": ["title", 4]},
            "'summary' must be a dotted path such as \"annotations.summary\" (got the number 4)",
            "summary",
        ),
        (
            {"summary": "title", "severity": "labels..severity"},
            "'severity' has an empty step in 'labels..severity': write keys separated by single dots, "
            'such as "labels.severity"',
            "severity",
        ),
        (
            {"summary": "title", "items": ["alerts"]},
            "'items' must be a dotted path such as \"alerts\" (got a list)",
            "items",
        ),
        (
            {"summary": "title", "items": ""},
            "'items' has an empty step in '': write keys separated by single dots, such as \"alerts\"",
            "items",
        ),
        (
            {"summary": "title", "labels": 7},
            "'labels' must be a dotted path to an object of labels, an object of label name → path, or a list of those "
            "(got the number 7)",
            "labels",
        ),
        (
            {"summary": "title", "labels": {"team": None}},
            "labels['team'] must be a dotted path such as \"labels.team\", or a list of them tried in order (got null)",
            "labels",
        ),
        (
            {"summary": "title", "annotations": [{"runbook": {"url": "x"}}]},
            "annotations['runbook'] must be a dotted path such as \"annotations.team\", or a list of them tried in "
            "order (got an object)",
            "annotations",
        ),
        (
            {"summary": "title", "links": ["dashboardURL"]},
            '\'links\' must be an object of link text → path, such as {"Dashboard": "dashboardURL"} (got a list)',
            "links",
        ),
        (
            {"summary": "title", "details": "values"},
            "'details' must be an object of detail name → path, such as {\"values\": \"values\"} (got 'values')",
            "details",
        ),
        (
            {"summary": "title", "status_map": ["ok"]},
            "'status_map' must be an object of the sender's word → one of firing, acknowledged, resolved (got a list)",
            "status_map",
        ),
        (
            {"summary": "title", "status_map": {"pending": "open"}},
            "status_map['pending'] must be one of firing, acknowledged, resolved (got 'open')",
            "status_map",
        ),
        (
            {"summary": "title", "severity_map": {"P1": "urgent"}},
            "severity_map['P1'] must be one of critical, error, warning, info (got 'urgent')",
            "severity_map",
        ),
        (
            {"summary": "title", "severity_map": {"P1": "Critical"}},
            "severity_map['P1'] must be one of critical, error, warning, info (got 'Critical')",
            "severity_map",
        ),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_setting_and_what_to_write(config, message, setting):
    with pytest.raises(InvalidInput) as refused:
        FieldMapping.from_config(config)

    assert (refused.value.message, refused.value.field) == (message, setting)


settings_values = st.sampled_from(["summary", "items", "labels", "status_map", "links", "severity", "unknown"])


@given(json_values | st.dictionaries(settings_values, json_values, max_size=5))
def test_any_json_config_is_either_a_mapping_or_refused_as_invalid_input(config):
    with contextlib.suppress(InvalidInput):
        FieldMapping.from_config(config)
