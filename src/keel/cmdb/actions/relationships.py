"""Relationships between CIs: relate, change the kind, unrelate. A relationship is history of its
source CI: its audit rows are the source's ("depends on payments-db" added or removed)."""

from django.db import IntegrityError, transaction

from keel.accounts.models import User
from keel.audit.actions import lock_revision, next_revision, record_changes
from keel.cmdb.actions._common import check_may_manage, publish_change
from keel.cmdb.kinds import RelationshipKind, ends
from keel.cmdb.models import ConfigurationItem, Relationship
from keel.lib.conditional import IfMatch
from keel.lib.errors import Conflict, InvalidInput


def relate(*, actor: User | None, source: ConfigurationItem, target: ConfigurationItem, kind: str) -> Relationship:
    """Record that ``source <kind> target``. Recording an existing relationship again is a no-op."""
    check_may_manage(actor)
    check_kind(kind)
    if source.pk == target.pk:
        raise InvalidInput(f"{source.name} cannot be related to itself.", field="target")
    needer, needed = ends(source.pk, target.pk, kind)
    relationship, created = Relationship.objects.get_or_create(
        source=source, target=target, kind=kind, defaults={"needer_id": needer, "needed_id": needed}
    )
    if created:
        _audited(relationship, actor, old="", new=relationship_text(relationship.kind, relationship.target.name))
    return relationship


def change_relationship_kind(
    relationship: Relationship, *, actor: User | None, kind: str, if_match: IfMatch | None = None
) -> Relationship:
    """Say how two related CIs hang together differently (runs on → hosted on); needer and needed follow.

    Giving the kind it has is a no-op. Refused when the two CIs are already related that way.
    """
    check_may_manage(actor)
    check_relationship_kind(relationship, kind)
    try:
        with transaction.atomic():
            lock_revision(relationship, if_match)
            if relationship.kind == kind:
                return relationship
            shown = relationship_text(relationship.kind, relationship.target.name)
            needer, needed = ends(relationship.source_id, relationship.target_id, kind)
            relationship.kind, relationship.needer_id, relationship.needed_id = kind, needer, needed
            relationship.save(update_fields=["kind", "needer", "needed", *next_revision(relationship)])
            _audited(relationship, actor, old=shown, new=relationship_text(kind, relationship.target.name))
    except IntegrityError as error:
        relationship.refresh_from_db()
        raise _already_related(relationship, kind) from error
    return relationship


def check_relationship_kind(relationship: Relationship, kind: str) -> None:
    """What change_relationship_kind refuses, asked before anything is written (the admin's form asks too)."""
    check_kind(kind)
    taken = Relationship.objects.filter(source_id=relationship.source_id, target_id=relationship.target_id, kind=kind)
    if kind != relationship.kind and taken.exists():
        raise _already_related(relationship, kind)


def unrelate(relationship: Relationship, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    check_may_manage(actor)
    with transaction.atomic():
        lock_revision(relationship, if_match)
        shown = relationship_text(relationship.kind, relationship.target.name)
        relationship.delete()
        _audited(relationship, actor, old=shown, new="")


def check_kind(kind: str) -> None:
    if kind not in RelationshipKind.values:
        raise InvalidInput(
            f"Relationship kind must be one of {', '.join(RelationshipKind.values)} (got {kind!r}).", field="kind"
        )


def relationship_text(kind: str, target: str) -> str:
    """How a relationship reads in its source's history: "depends on payments-db"."""
    return f"{RelationshipKind(kind).label} {target}"


def _already_related(relationship: Relationship, kind: str) -> Conflict:
    return Conflict(
        f"{relationship.source.name} already {RelationshipKind(kind).label} {relationship.target.name}; "
        f"delete this relationship (id {relationship.pk}) instead.",
        field="kind",
    )


def _audited(relationship: Relationship, actor: User | None, *, old: str, new: str) -> None:
    record_changes(
        subject_type="ci", subject_id=relationship.source_id, actor=actor, changes=[("relationship", old, new)]
    )
    publish_change("ci", relationship.source_id, actor, ("relationship",))
