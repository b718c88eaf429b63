"""Every write on the CMDB: one function per verb, keyword-only, with an explicit actor (None = Keel).

Each checks ``can_manage_cmdb``, validates the whole record before saving (bad input changes
nothing), is a no-op when nothing changes, writes its audit rows in the same transaction
(``keel.audit``) and publishes ``CMDBChanged`` on commit.
"""

from collections.abc import Mapping
from typing import Any, Final

from django.db import IntegrityError, models, transaction

from keel.accounts.models import User
from keel.audit.actions import create_audited, delete_audited, record_changes, update_audited
from keel.cmdb.events import CMDBChanged
from keel.cmdb.kinds import BUSINESS_SERVICE_TYPE, DEFAULT_CI_TYPES, RelationshipKind, ends
from keel.cmdb.models import CIType, ConfigurationItem, Relationship, Service
from keel.cmdb.names import sync_names
from keel.cmdb.permissions import can_manage_cmdb
from keel.lib.errors import Conflict, InvalidInput, NotAllowed
from keel.lib.events import publish

CI_FIELDS: Final = frozenset(
    {
        "name",
        "ci_type",
        "aliases",
        "status",
        "environment",
        "criticality",
        "owner_team",
        "support_group",
        "location",
        "attributes",
        "description",
    }
)
CI_TYPE_FIELDS: Final = frozenset({"slug", "name", "description"})
SERVICE_FIELDS: Final = frozenset({"name", "description", "owner_team", "users", "criticality", "ci"})
# How the audit rows address each kind of record (activity's subject_type).
SUBJECTS: Final[Mapping[type[models.Model], str]] = {ConfigurationItem: "ci", Service: "service", CIType: "ci_type"}


def check_may_manage(actor: User | None) -> None:
    if actor is not None and not can_manage_cmdb(actor):
        raise NotAllowed("Only configuration managers and administrators can change the CMDB.")


def create_ci_type(*, actor: User | None, slug: str, name: str, description: str = "") -> CIType:
    """Add a kind of CI (e.g. 'message-queue')."""
    check_may_manage(actor)
    return _created(CIType(slug=slug, name=name, description=description), actor=actor)


def update_ci_type(ci_type: CIType, *, actor: User | None, changes: Mapping[str, Any]) -> CIType:
    check_may_manage(actor)
    return _changed(ci_type, changes, allowed=CI_TYPE_FIELDS, actor=actor)


def delete_ci_type(ci_type: CIType, *, actor: User | None) -> None:
    """Remove a CI type no CI uses any more."""
    check_may_manage(actor)
    _deleted(ci_type, f"CI type {ci_type.slug!r} is still used by CIs; give them another type first.", actor=actor)


def create_ci(
    *,
    actor: User | None,
    name: str,
    ci_type: CIType,
    criticality: int = 3,
    fields: Mapping[str, Any] | None = None,
) -> ConfigurationItem:
    """Record a new configuration item; ``fields`` holds any other of CI_FIELDS."""
    check_may_manage(actor)
    extra = dict(fields or {})
    _check_known(extra, CI_FIELDS)
    ci = ConfigurationItem(name=_clean_name(name), ci_type=ci_type, criticality=criticality, **extra)
    return _created(ci, actor=actor)


def update_ci(ci: ConfigurationItem, *, actor: User | None, changes: Mapping[str, Any]) -> ConfigurationItem:
    """Change a CI's fields. Changing nothing is a no-op."""
    check_may_manage(actor)
    if "name" in changes:
        changes = {**changes, "name": _clean_name(changes["name"])}
    return _changed(ci, changes, allowed=CI_FIELDS, actor=actor)


def delete_ci(ci: ConfigurationItem, *, actor: User | None) -> None:
    """Remove a CI and its relationships. Refused while incidents or a service still name it."""
    check_may_manage(actor)
    if Service.objects.filter(ci=ci).exists():
        raise Conflict(f"{ci.name} stands for a business service; delete or relink the service first.")
    _deleted(ci, f"Incidents name {ci.name}; retire it (status 'retired') instead of deleting it.", actor=actor)


def relate(*, actor: User | None, source: ConfigurationItem, target: ConfigurationItem, kind: str) -> Relationship:
    """Record that ``source <kind> target``. Recording an existing relationship again is a no-op."""
    check_may_manage(actor)
    _check_kind(kind)
    if source.pk == target.pk:
        raise InvalidInput(f"{source.name} cannot be related to itself.", field="target")
    needer, needed = ends(source.pk, target.pk, kind)
    relationship, created = Relationship.objects.get_or_create(
        source=source, target=target, kind=kind, defaults={"needer_id": needer, "needed_id": needed}
    )
    if created:
        _publish_relationship(relationship, actor, old="", new=_relationship_text(relationship))
    return relationship


def change_relationship_kind(relationship: Relationship, *, actor: User | None, kind: str) -> Relationship:
    """Say how two related CIs hang together differently (runs on → hosted on); needer and needed follow.

    Giving the kind it has is a no-op. Refused when the two CIs are already related that way.
    """
    check_may_manage(actor)
    check_relationship_kind(relationship, kind)
    if relationship.kind == kind:
        return relationship
    shown = _relationship_text(relationship)
    needer, needed = ends(relationship.source_id, relationship.target_id, kind)
    relationship.kind, relationship.needer_id, relationship.needed_id = kind, needer, needed
    try:
        with transaction.atomic():
            relationship.save(update_fields=["kind", "needer", "needed"])
    except IntegrityError as error:
        relationship.refresh_from_db()
        raise _already_related(relationship, kind) from error
    _publish_relationship(relationship, actor, old=shown, new=_relationship_text(relationship))
    return relationship


def check_relationship_kind(relationship: Relationship, kind: str) -> None:
    """What change_relationship_kind refuses, asked before anything is written (the admin's form asks too)."""
    _check_kind(kind)
    taken = Relationship.objects.filter(source_id=relationship.source_id, target_id=relationship.target_id, kind=kind)
    if kind != relationship.kind and taken.exists():
        raise _already_related(relationship, kind)


def _already_related(relationship: Relationship, kind: str) -> Conflict:
    return Conflict(
        f"{relationship.source.name} already {RelationshipKind(kind).label} {relationship.target.name}; "
        f"delete this relationship (id {relationship.pk}) instead.",
        field="kind",
    )


def unrelate(relationship: Relationship, *, actor: User | None) -> None:
    check_may_manage(actor)
    shown = _relationship_text(relationship)
    relationship.delete()
    _publish_relationship(relationship, actor, old=shown, new="")


def _check_kind(kind: str) -> None:
    if kind not in RelationshipKind.values:
        raise InvalidInput(
            f"Relationship kind must be one of {', '.join(RelationshipKind.values)} (got {kind!r}).", field="kind"
        )


def _relationship_text(relationship: Relationship) -> str:
    return f"{RelationshipKind(relationship.kind).label} {relationship.target.name}"


def _publish_relationship(relationship: Relationship, actor: User | None, *, old: str, new: str) -> None:
    """A relationship is history of its source CI ("depends on payments-db" added or removed)."""
    record_changes(
        subject_type="ci", subject_id=relationship.source_id, actor=actor, changes=[("relationship", old, new)]
    )
    publish(
        CMDBChanged(
            subject_type="ci", subject_id=relationship.source_id, actor_id=actor_id(actor), fields=("relationship",)
        )
    )


def create_service(
    *,
    actor: User | None,
    name: str,
    users: int = 0,
    criticality: int = 3,
    description: str = "",
    owner_team: Any = None,
    ci: ConfigurationItem | None = None,
) -> Service:
    """Record a business service. Without a CI, one of type business-service with its name joins the graph."""
    check_may_manage(actor)
    name = _clean_name(name)
    check_new_service(name=name, ci=ci)
    with transaction.atomic():
        if ci is None:
            ci = create_ci(
                actor=actor,
                name=name,
                ci_type=CIType.objects.get(slug=BUSINESS_SERVICE_TYPE),
                criticality=criticality,
                fields={"description": description, "owner_team": owner_team},
            )
        service = Service(
            name=name, users=users, criticality=criticality, description=description, owner_team=owner_team, ci=ci
        )
        return _created(service, actor=actor)


def check_new_service(*, name: str, ci: ConfigurationItem | None) -> None:
    """What create_service refuses before writing anything (the admin's and the console's forms ask too)."""
    if ci is not None:
        return
    name = _clean_name(name)
    if not CIType.objects.filter(slug=BUSINESS_SERVICE_TYPE).exists():
        raise Conflict(f"The CI type {BUSINESS_SERVICE_TYPE!r} is missing; create it first.", field="ci")
    if ConfigurationItem.objects.filter(name=name).exists():
        raise InvalidInput(
            f"A CI named {name!r} exists already: give it as the service's CI, or name the service differently.",
            field="ci",
        )


def update_service(service: Service, *, actor: User | None, changes: Mapping[str, Any]) -> Service:
    check_may_manage(actor)
    return _changed(service, changes, allowed=SERVICE_FIELDS, actor=actor)


def delete_service(service: Service, *, actor: User | None) -> None:
    """Remove a business service (its CI stays in the graph). Refused while incidents name it."""
    check_may_manage(actor)
    _deleted(service, f"Incidents name the service {service.name}; it cannot be deleted.", actor=actor)


# --- shared steps ---------------------------------------------------------------------------

# The API's names for model fields, in refusals and audit rows.
NAMES: Final = {"ci_type": "type"}


def _changed[M: models.Model](row: M, changes: Mapping[str, Any], *, allowed: frozenset[str], actor: User | None) -> M:
    with transaction.atomic():
        subject = SUBJECTS[type(row)]
        fields = update_audited(row, changes, subject_type=subject, actor=actor, allowed=allowed, names=NAMES)
        if fields:
            _after_save(row)
            _publish(row, actor, fields)
    return row


def _created[M: models.Model](row: M, *, actor: User | None) -> M:
    with transaction.atomic():
        create_audited(row, subject_type=SUBJECTS[type(row)], actor=actor, names=NAMES)
        _after_save(row)
        _publish(row, actor, ["created"])
    return row


def _after_save(row: models.Model) -> None:
    if isinstance(row, ConfigurationItem):
        sync_names([row])


def _publish(row: models.Model, actor: User | None, fields: list[str]) -> None:
    publish(
        CMDBChanged(subject_type=SUBJECTS[type(row)], subject_id=row.pk, actor_id=actor_id(actor), fields=tuple(fields))
    )


def _deleted(row: models.Model, refusal: str, *, actor: User | None) -> None:
    pk = row.pk
    delete_audited(row, subject_type=SUBJECTS[type(row)], actor=actor, refusal=refusal)
    publish(CMDBChanged(subject_type=SUBJECTS[type(row)], subject_id=pk, actor_id=actor_id(actor), fields=("deleted",)))


def actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


def _check_known(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = [NAMES.get(name, name) for name in sorted(set(fields) - allowed)]
    if unknown:
        raise InvalidInput(f"These fields cannot be set: {', '.join(unknown)}.", field=unknown[0])


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise InvalidInput("Give it a name, e.g. 'payments-db'.", field="name")
    return cleaned


def ensure_default_ci_types() -> dict[str, CIType]:
    """The CI types every CMDB starts with (the migration seeds them too), by slug. Safe to call twice."""
    return {
        slug: CIType.objects.get_or_create(slug=slug, defaults={"name": name})[0] for slug, name in DEFAULT_CI_TYPES
    }
