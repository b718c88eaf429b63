"""The one audit path (DESIGN §4.5): every change of every kind of record, through every door, is
written here, in the transaction that makes it: who, when, through which door, each field's old
and new value.

``record_changes`` takes the changes an action computed itself (incidents diff their own fields);
``create_audited``, ``update_audited`` and ``delete_audited`` are the whole write of a set-up record
(a CI, a team, an SLA policy…): validate, save, audit, in one call.

A ``Versioned`` record's change also takes the client's ``if_match``: the row is locked, its
revision read afresh and held to it (412 when it names another), and the change bumps it — in
the one transaction, so two clients that read the same revision cannot both change it.
"""

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import capfirst

from keel.audit.models import Versioned
from keel.audit.rows import insert_records
from keel.lib import clock
from keel.lib.conditional import IfMatch, hold
from keel.lib.doors import current_door
from keel.lib.errors import Conflict, InvalidInput, NotFound, invalid_input_from

Change = tuple[str, object, object]  # (field, old, new)
SubjectChange = tuple[int, str, object, object]  # (subject id, field, old, new)


def record_changes(
    *,
    subject_type: str,
    subject_id: int,
    actor: models.Model | None,
    changes: Sequence[Change],
    at: datetime | None = None,
) -> None:
    """Append one audit row per (field, old, new), in one INSERT."""
    record_changes_of_many(
        subject_type=subject_type, actor=actor, changes=[(subject_id, *change) for change in changes], at=at
    )


def record_changes_of_many(
    *,
    subject_type: str,
    actor: models.Model | None,
    changes: Sequence[SubjectChange],
    at: datetime | None = None,
) -> None:
    """Append one audit row per (subject id, field, old, new) of records of one kind, in one INSERT:
    what a batch of thousands (a CSV import's) writes at once."""
    if not changes:
        return
    stamp = at or clock.now()
    channel = current_door()
    actor_id = actor.pk if actor is not None else None
    insert_records(
        [
            {
                "subject_type": subject_type,
                "subject_id": subject_id,
                "actor_id": actor_id,
                "channel": channel,
                "field": field,
                "old_value": as_text(old),
                "new_value": as_text(new),
                "at": stamp,
            }
            for subject_id, field, old, new in changes
        ]
    )


def as_text(value: object) -> str:
    """How a value reads in the audit trail: a record as its name and id, lists and objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return f"{value} (#{value.pk})"
    if isinstance(value, list | dict | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def create_audited[M: models.Model](
    row: M, *, subject_type: str, actor: models.Model | None, names: Mapping[str, str] | None = None
) -> M:
    """Validate the whole new row (types, choices, uniqueness), insert it and audit its creation;
    or raise InvalidInput naming the field and write nothing."""
    _validated(row, names)
    with transaction.atomic():
        row.save()
        record_changes(subject_type=subject_type, subject_id=row.pk, actor=actor, changes=[("created", "", str(row))])
    return row


def update_audited[M: models.Model](
    row: M,
    changes: Mapping[str, Any],
    *,
    subject_type: str,
    actor: models.Model | None,
    allowed: Collection[str],
    names: Mapping[str, str] | None = None,
    if_match: IfMatch | None = None,
) -> list[str]:
    """Set the fields of ``changes`` that differ, validate the whole row and save those fields, with an
    audit row each (named as the API names them). Returns the fields changed; none is a no-op.
    A ``Versioned`` row is locked first and held to ``if_match`` (see ``lock_revision``)."""
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        shown = [(names or {}).get(name, name) for name in unknown]
        raise InvalidInput(f"These fields cannot be set: {', '.join(shown)}.", field=shown[0])
    with transaction.atomic():
        lock_revision(row, if_match)
        fields = [name for name, value in changes.items() if getattr(row, name) != value]
        if not fields:
            return []
        audit = [((names or {}).get(name, name), getattr(row, name), changes[name]) for name in fields]
        for name in fields:
            setattr(row, name, changes[name])
        _validated(row, names)
        row.save(update_fields=[*fields, *next_revision(row)])
        record_changes(subject_type=subject_type, subject_id=row.pk, actor=actor, changes=audit)
    return fields


def lock_revision(row: models.Model, if_match: IfMatch | None) -> None:
    """Before changing a ``Versioned`` row: lock it, read its revision afresh and refuse the change
    (StaleVersion, 412) when the client's If-Match names another one; a row deleted meanwhile is
    NotFound. Call it inside the change's transaction. Rows of other models take no If-Match."""
    if not isinstance(row, Versioned):
        if if_match is not None:
            raise TypeError(f"{type(row).__name__} has no revision to hold an If-Match to.")
        return
    model = type(row)
    current = model._default_manager.select_for_update().filter(pk=row.pk).values_list("revision", flat=True).first()
    if current is None:
        raise NotFound(f"{row} no longer exists; it was deleted since you read it.")
    row.revision = current
    hold_to(row, if_match)


def hold_to(row: Versioned, if_match: IfMatch | None) -> None:
    """Refuse the change (StaleVersion, 412) unless the row — locked and read afresh by the caller,
    or untouched by the change — is at a revision the client's If-Match names."""
    hold(if_match, row.entity_tag, record=f"{capfirst(type(row)._meta.verbose_name)} {row}")


def next_revision(row: models.Model) -> list[str]:
    """Count a change of a ``Versioned`` row (locked by ``lock_revision``): the fields to save with
    it, ``revision`` or none."""
    if not isinstance(row, Versioned):
        return []
    row.revision += 1
    return ["revision"]


def editable_fields(model: type[models.Model]) -> frozenset[str]:
    """The fields people set on a record, for ``update_audited``'s ``allowed``: all but its id and
    what Django keeps itself (``editable=False``)."""
    return frozenset(field.name for field in model._meta.concrete_fields if field.editable and not field.primary_key)


def delete_audited(
    row: models.Model,
    *,
    subject_type: str,
    actor: models.Model | None,
    refusal: str,
    if_match: IfMatch | None = None,
) -> None:
    """Delete the row and audit it; a row other records still point at is refused with ``refusal``.
    A ``Versioned`` row is locked first and held to ``if_match`` (see ``lock_revision``)."""
    pk, shown = row.pk, str(row)
    try:
        with transaction.atomic():
            lock_revision(row, if_match)
            row.delete()
            record_changes(subject_type=subject_type, subject_id=pk, actor=actor, changes=[("deleted", shown, "")])
    except models.ProtectedError as error:
        raise Conflict(refusal) from error


def _validated(row: models.Model, names: Mapping[str, str] | None) -> None:
    try:
        row.full_clean()
    except ValidationError as error:
        raise invalid_input_from(error, names=names) from error
