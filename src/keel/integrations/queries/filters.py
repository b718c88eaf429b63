"""Alert-list filters as people and API clients write them (``status=firing,acknowledged``,
``incident=INC0000042``), read into ``queries.alerts.AlertFilters``. Refusals name the filter and
what to write; the console's form and the API's query share them (the API's query parameters are
these words)."""

from collections.abc import Sequence
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from keel.incidents.models import pk_from_number
from keel.integrations.inbound.parsed import Severity
from keel.integrations.queries.alerts import AlertFilters
from keel.integrations.queries.sources import source_by_reference
from keel.integrations.states import ACTIVE, AlertStatus
from keel.lib.api import one_of, several_of
from keel.lib.errors import InvalidInput

# "active" is a word of its own: what still needs someone (firing or acknowledged).
ACTIVE_WORD: Final = "active"
STATUS_WORDS: Final = (ACTIVE_WORD, *AlertStatus.values)
SEVERITY_WORDS: Final = tuple(level.value for level in Severity)
YES_NO: Final = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class FilterWords(BaseModel):
    """The filters as text, each None or empty when not given."""

    model_config = ConfigDict(frozen=True)

    status: str | None = several_of(STATUS_WORDS)
    severity: str | None = several_of(SEVERITY_WORDS)
    source: str | None = None
    q: str | None = None
    incident: str | None = Field(
        None, description="An incident number, INC0000042.", json_schema_extra={"pattern": r"^ *(INC[0-9]{1,12})? *$"}
    )
    flapping: str | None = one_of(["", *YES_NO])  # empty: either
    suppressed: str | None = one_of(["", *YES_NO])


def parse_alert_filters(words: FilterWords) -> AlertFilters:
    return AlertFilters(
        statuses=_statuses(words.status),
        severities=_choices(words.severity, SEVERITY_WORDS, "severity"),
        source_ids=[source_by_reference(name).pk for name in _list(words.source)],
        text=(words.q or "").strip(),
        incident_id=_incident(words.incident),
        flapping=_yes_no(words.flapping, "flapping"),
        suppressed=_yes_no(words.suppressed, "suppressed"),
    )


def _list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _choices(text: str | None, allowed: Sequence[str], field: str) -> list[str]:
    given = [word.lower() for word in _list(text)]
    unknown = [word for word in given if word not in allowed]
    if unknown:
        raise InvalidInput(
            f"{field} takes {', '.join(allowed)}, several separated by commas (got {unknown[0]!r}).", field=field
        )
    return given


def _statuses(text: str | None) -> list[str]:
    given = _choices(text, STATUS_WORDS, "status")
    expanded = [status for word in given for status in (sorted(ACTIVE) if word == ACTIVE_WORD else [word])]
    return list(dict.fromkeys(expanded))


def _incident(text: str | None) -> int | None:
    if not (text or "").strip():
        return None
    pk = pk_from_number(str(text))
    if pk is None:
        raise InvalidInput(f"incident takes an incident number such as INC0000042 (got {text!r}).", field="incident")
    return pk


def _yes_no(text: str | None, field: str) -> bool | None:
    word = (text or "").strip().lower()
    if not word:
        return None
    if word not in YES_NO:
        raise InvalidInput(f"{field} takes true or false (got {text!r}).", field=field)
    return YES_NO[word]
