"""Captured requests as the fixtures hold them (received_at, method, path, headers, json), and JSON for hypothesis."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import strategies as st


@dataclass(frozen=True)
class Captured:
    name: str
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: datetime


def load(path: Path) -> Captured:
    raw = json.loads(path.read_text())
    return Captured(
        name=path.name,
        method=raw["method"],
        path=raw["path"],
        headers=raw["headers"],
        body=raw["json"],
        received_at=datetime.strptime(raw["received_at"], "%Y-%m-%dT%H:%M:%S%z"),
    )


def fixtures(sender: str) -> dict[str, Captured]:
    """Every fixture of one sender (``tests/integrations/inbound/<sender>/fixtures``), by file name."""
    return {path.name: load(path) for path in sorted((Path(__file__).parent / sender / "fixtures").glob("*.json"))}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# Any JSON document json.loads could produce.
json_scalars = st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)
