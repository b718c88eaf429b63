"""A source's field mapping: where, in a sender's JSON, each part of an alert is written.

The user writes it as JSON (docs/monitoring.md, "Generic field mapping", shows the format);
``FieldMapping.from_config`` checks it once, when the source is saved, and every refusal names the
setting and what to write instead. A path is dotted keys (``labels.severity``), with a number for a
list position (``tags.0.value``); a key that itself contains a dot cannot be addressed. Wherever one
path is allowed a list of paths is too: the first that holds a value wins.
"""

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from keel.integrations.inbound.parsed import Severity, SignalStatus
from keel.integrations.inbound.reading import MISSING, got
from keel.integrations.inbound.severity import SEVERITY_WORDS, word_key
from keel.lib.errors import InvalidInput

_STATUS_WORDS: Final[Mapping[SignalStatus, tuple[str, ...]]] = {
    SignalStatus.FIRING: ("firing", "problem", "alerting", "alert", "triggered", "trigger", "active", "open", "1"),
    SignalStatus.ACKNOWLEDGED: ("acknowledged", "acknowledge", "ack", "acked"),
    SignalStatus.RESOLVED: ("resolved", "resolve", "ok", "recovered", "recovery", "normal", "inactive", "closed", "0"),
}
# Grafana's "no data" is a fault of its own (the metric is gone), so it fires.
DEFAULT_STATUS_MAP: Final[Mapping[str, SignalStatus]] = MappingProxyType(
    {word: status for status, words in _STATUS_WORDS.items() for word in words} | {"no_data": SignalStatus.FIRING}
)
DEFAULT_SEVERITY_MAP: Final = MappingProxyType(dict(SEVERITY_WORDS))

# Every setting with the example its refusals show.
_PATHS: Final = {
    "summary": "annotations.summary",
    "severity": "labels.severity",
    "resource": "labels.instance",
    "service": "labels.service",
    "dedup_key": "fingerprint",
    "status": "status",
    "starts_at": "startsAt",
    "ends_at": "endsAt",
}
_SETTINGS: Final = ("items", *_PATHS, "labels", "annotations", "links", "details", "status_map", "severity_map")


@dataclass(frozen=True)
class FieldPath:
    """A dotted path into one alert's JSON, as the user wrote it."""

    text: str
    steps: tuple[str, ...]

    def find(self, document: object) -> object:
        """The value at this path, or ``MISSING``."""
        value = document
        for step in self.steps:
            if isinstance(value, Mapping):
                value = value.get(step, MISSING)
            elif isinstance(value, list | tuple) and step.isascii() and step.isdigit() and int(step) < len(value):
                value = value[int(step)]
            else:
                return MISSING
        return value


type Paths = tuple[FieldPath, ...]


@dataclass(frozen=True, kw_only=True)
class FieldMapping:
    """Where a sender writes each part of an alert; build it with ``from_config``."""

    summary: Paths
    items: FieldPath | None = None
    severity: Paths = ()
    resource: Paths = ()
    service: Paths = ()
    dedup_key: Paths = ()
    status: Paths = ()
    starts_at: Paths = ()
    ends_at: Paths = ()
    label_objects: Paths = ()
    label_fields: Mapping[str, Paths] = field(default_factory=dict)
    annotation_objects: Paths = ()
    annotation_fields: Mapping[str, Paths] = field(default_factory=dict)
    links: Mapping[str, Paths] = field(default_factory=dict)
    details: Mapping[str, Paths] = field(default_factory=dict)
    status_map: Mapping[str, SignalStatus] = DEFAULT_STATUS_MAP
    severity_map: Mapping[str, Severity] = DEFAULT_SEVERITY_MAP

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "FieldMapping":
        """The mapping a user wrote, checked; ``InvalidInput`` names the bad setting and what to write."""
        if not isinstance(config, Mapping):
            raise InvalidInput(
                f'The field mapping must be an object of setting → value, such as {{"summary": "title"}} {got(config)}'
            )
        _refuse_unknown(config)
        if config.get("summary") is None:
            raise InvalidInput(
                "The field mapping needs 'summary': the dotted path to each alert's summary, "
                'such as "annotations.summary"',
                field="summary",
            )
        label_objects, label_fields = _sources(config, "labels", "label")
        annotation_objects, annotation_fields = _sources(config, "annotations", "annotation")
        return cls(
            items=None if config.get("items") is None else _one_path(config["items"], "items", "alerts"),
            **{key: _paths(config.get(key), key, example) for key, example in _PATHS.items()},
            label_objects=label_objects,
            label_fields=label_fields,
            annotation_objects=annotation_objects,
            annotation_fields=annotation_fields,
            links=_named_paths(config.get("links"), "links", "link text", "Dashboard", "dashboardURL"),
            details=_named_paths(config.get("details"), "details", "detail name", "values", "values"),
            status_map=_word_map(config.get("status_map"), "status_map", SignalStatus, DEFAULT_STATUS_MAP),
            severity_map=_word_map(config.get("severity_map"), "severity_map", Severity, DEFAULT_SEVERITY_MAP),
        )


def _refuse_unknown(config: Mapping[str, Any]) -> None:
    for key in config:
        if key not in _SETTINGS:
            close = difflib.get_close_matches(str(key), _SETTINGS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise InvalidInput(
                f"'{key}' is not a field-mapping setting{hint}; the settings are {', '.join(_SETTINGS)}", field=str(key)
            )


def _subject(setting: str, name: str | None) -> str:
    """How a refusal names a setting: ``'severity'``, or ``labels['team']`` for one entry of it."""
    return f"'{setting}'" if name is None else f"{setting}['{name}']"


def _one_path(value: object, setting: str, example: str, name: str | None = None) -> FieldPath:
    subject = _subject(setting, name)
    if not isinstance(value, str):
        raise InvalidInput(f'{subject} must be a dotted path such as "{example}" {got(value)}', field=setting)
    steps = tuple(value.strip().split("."))
    if not all(steps):
        raise InvalidInput(
            f'{subject} has an empty step in {value!r}: write keys separated by single dots, such as "{example}"',
            field=setting,
        )
    return FieldPath(text=value.strip(), steps=steps)


def _paths(value: object, setting: str, example: str, name: str | None = None) -> Paths:
    """One path, or a list of paths tried in order; absent (outside an entry) is none."""
    if value is None and name is None:
        return ()
    if isinstance(value, str):
        return (_one_path(value, setting, example, name),)
    if isinstance(value, list | tuple) and value:
        return tuple(_one_path(each, setting, example, name) for each in value)
    raise InvalidInput(
        f'{_subject(setting, name)} must be a dotted path such as "{example}", or a list of them tried in order '
        f"{got(value)}",
        field=setting,
    )


def _named_paths(value: object, setting: str, what: str, example_name: str, example: str) -> Mapping[str, Paths]:
    """An object of name → path(s), such as links' ``{"Dashboard": "dashboardURL"}``."""
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise InvalidInput(
            f'\'{setting}\' must be an object of {what} → path, such as {{"{example_name}": "{example}"}} {got(value)}',
            field=setting,
        )
    return MappingProxyType({str(key): _paths(paths, setting, example, str(key)) for key, paths in value.items()})


def _sources(config: Mapping[str, Any], setting: str, what: str) -> tuple[Paths, Mapping[str, Paths]]:
    """``labels``/``annotations``: a path to an object copied whole, an object of name → path, or a list of those."""
    value = config.get(setting)
    entries: Sequence[object] = value if isinstance(value, list | tuple) else [] if value is None else [value]
    objects: list[FieldPath] = []
    fields: dict[str, Paths] = {}
    for entry in entries:
        if isinstance(entry, str):
            objects.append(_one_path(entry, setting, setting))
        elif isinstance(entry, Mapping):
            fields |= _named_paths(entry, setting, f"{what} name", "team", f"{setting}.team")
        else:
            raise InvalidInput(
                f"'{setting}' must be a dotted path to an object of {what}s, an object of {what} name → path, "
                f"or a list of those {got(entry)}",
                field=setting,
            )
    return tuple(objects), MappingProxyType(fields)


def _word_map[Level: (SignalStatus, Severity)](
    value: object, setting: str, levels: type[Level], defaults: Mapping[str, Level]
) -> Mapping[str, Level]:
    """The sender's words → Keel's levels, over the defaults (the user's words win); matched case-insensitively."""
    if value is None:
        return defaults
    choices = ", ".join(level.value for level in levels)
    if not isinstance(value, Mapping):
        raise InvalidInput(
            f"'{setting}' must be an object of the sender's word → one of {choices} {got(value)}", field=setting
        )
    words = dict(defaults)
    for word, level in value.items():
        if not isinstance(level, str) or level not in {each.value for each in levels}:
            raise InvalidInput(f"{setting}['{word}'] must be one of {choices} {got(level)}", field=setting)
        words[word_key(str(word))] = levels(level)
    return MappingProxyType(words)
