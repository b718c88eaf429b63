"""The audit trail as administrators read it (the console's page and its CSV, ``GET /api/v1/audit``):
what a request asks for, checked and parsed once for every door, and the rows the asker may see.
Everyone but administrators is refused, whatever they ask for."""

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from pydantic import TypeAdapter

from keel.accounts.models import User
from keel.audit.models import AuditRecord
from keel.audit.queries import AuditFilters, audit_page, audit_rows
from keel.lib.api import iso_utc
from keel.lib.doors import Door
from keel.lib.errors import InvalidInput, NotAllowed
from keel.lib.paging import Page
from keel.lib.references import by_reference
from keel.reporting.permissions import can_read_audit_trail

REFUSAL: Final = "The audit trail is for administrators; ask one if you need a record's history."
# How records are named in the trail: incident, ci, user, team, sla_policy…
SUBJECT_TYPE: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_ID: Final = 2**63 - 1
# RFC 3339 times, as the OpenAPI document's date-time format says (lower-case t and z included).
_TIME: Final = TypeAdapter(datetime)
CSV_COLUMNS: Final = ("at", "actor", "door", "subject_type", "subject_id", "field", "old_value", "new_value")


def parse_audit_filters(
    *,
    actor: str | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    door: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> AuditFilters:
    """The filters as a request gives them (text), checked; InvalidInput names the first bad one."""
    subject = (subject_type or "").strip()
    if subject and not SUBJECT_TYPE.fullmatch(subject):
        raise InvalidInput(
            f"subject_type is a record type such as incident, ci, user or sla_policy (got {subject!r}).",
            field="subject_type",
        )
    if subject_id is not None and not 1 <= subject_id <= MAX_ID:
        raise InvalidInput(f"subject_id must be a record id, 1 or more (got {subject_id}).", field="subject_id")
    if subject_id is not None and not subject:
        raise InvalidInput("Give subject_type with subject_id: ids are per type of record.", field="subject_type")
    if door and door not in Door.values:
        raise InvalidInput(f"door must be one of {', '.join(Door.values)} (got {door!r}).", field="door")
    start = _moment(since, "since", end=False) if since else None
    stop = _moment(until, "until", end=True) if until else None
    if start is not None and stop is not None and start >= stop:
        raise InvalidInput("since must be before until.", field="since")
    return AuditFilters(
        actor_id=_actor_id(actor.strip()) if actor and actor.strip() else None,
        subject_type=subject,
        subject_id=subject_id,
        door=Door(door) if door else None,
        since=start,
        until=stop,
    )


def check_may_read_audit_trail(user: User) -> None:
    """NotAllowed for all but administrators: asked first, before any filter is read, so that the
    answer to anyone else says nothing about the people or records they name."""
    if not can_read_audit_trail(user):
        raise NotAllowed(REFUSAL)


def audit_page_for(user: User, filters: AuditFilters, *, offset: int, limit: int) -> Page[AuditRecord]:
    """A page of the trail, newest first, for an administrator; NotAllowed for anyone else."""
    check_may_read_audit_trail(user)
    return audit_page(filters, offset=offset, limit=limit)


def audit_csv_rows_for(user: User, filters: AuditFilters) -> Iterator[list[Any]]:
    """Every matching row as a line of the CSV export (``CSV_COLUMNS``), newest first; checked now, read as sent."""
    check_may_read_audit_trail(user)
    return (_csv_row(record) for record in audit_rows(filters))


def _csv_row(record: AuditRecord) -> list[Any]:
    actor = record.actor.username if record.actor is not None else ""
    return [
        iso_utc(record.at),
        actor,
        record.channel,
        record.subject_type,
        record.subject_id,
        record.field,
        record.old_value,
        record.new_value,
    ]


def _actor_id(reference: str) -> int:
    if "\x00" in reference:  # PostgreSQL text holds no NUL: no user has one in their name
        raise InvalidInput("actor must be a user id or username; it cannot contain a NUL character.", field="actor")
    # Former staff included: an inactive account's changes stay in the trail.
    found = by_reference(
        User.objects.all(), reference, key="username", field="actor", what="user", give="a user id or username"
    )
    return int(found.pk)


def _moment(raw: str, field: str, *, end: bool) -> datetime | None:
    """A date (its whole day, UTC: ``until`` runs to its end) or a time (UTC unless it says
    otherwise); None, no bound, for one past what a time can hold (before year 1, after 9999)."""
    text = raw.strip()
    try:
        if len(text) == len("2026-11-01"):
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=UTC)
        moment = _TIME.validate_python(text)
        return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        return None
    except ValueError as error:
        raise InvalidInput(
            f"{field} must be a date like 2026-11-01 or a time like 2026-11-01T09:30:00Z (got {raw!r}).", field=field
        ) from error
