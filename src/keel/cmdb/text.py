"""How a CI's aliases and attributes are written as text, in the console's form and in CSV files:
aliases separated by semicolons, attributes as one JSON object."""

import json
from typing import Any


def aliases_from_text(text: str) -> list[str]:
    return [alias.strip() for alias in text.split(";") if alias.strip()]


def attributes_from_text(text: str) -> dict[str, Any] | None:
    """The JSON object the text holds ({} for no text), or None when it holds anything else."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
