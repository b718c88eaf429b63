"""SQL that renders values as the API writes them, on SQLite and PostgreSQL alike: for reads whose
JSON the database builds (see incidents/documents.py)."""

from django.db import connection


def postgres() -> bool:
    return connection.vendor == "postgresql"


def json_object_sql(pairs: str) -> str:
    """A JSON object from alternating 'key', value arguments. PostgreSQL's json (not jsonb) keeps the
    keys in the order given."""
    return f"json_build_object({pairs})" if postgres() else f"json_object({pairs})"


def iso_utc_sql(expression: str) -> str:
    """A stored datetime as ``lib.api.iso_utc`` writes it: 2026-11-27T18:00:00.000000Z (NULL stays NULL)."""
    if postgres():
        return f"""to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    # Django stores UTC as 'YYYY-MM-DD HH:MM:SS[.ffffff]', leaving out a zero fraction.
    return (
        f"CASE WHEN {expression} IS NULL THEN NULL "
        f"ELSE replace({expression}, ' ', 'T') || CASE WHEN length({expression}) = 19 THEN '.000000Z' ELSE 'Z' END END"
    )


def json_flag_sql(expression: str) -> str:
    """A boolean as a JSON true/false (SQLite stores 0/1, which json_object would write as numbers)."""
    return expression if postgres() else f"CASE WHEN {expression} THEN json('true') ELSE json('false') END"
