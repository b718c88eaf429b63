"""CI types, configuration items and business services: create, change, delete, each audited."""

from collections.abc import Mapping
from typing import Any, Final

from django.db import models, transaction

from keel.accounts.models import User
from keel.audit.actions import create_audited, delete_audited, editable_fields, record_changes, update_audited
from keel.cmdb.actions._common import check_may_manage, clean_name, publish_change
from keel.cmdb.actions.names import sync_names
from keel.cmdb.kinds import BUSINESS_SERVICE_TYPE, DEFAULT_CI_TYPES, FIELD_NAMES
from keel.cmdb.models import CIType, ConfigurationItem, Service
from keel.lib.conditional import IfMatch
from keel.lib.errors import Conflict, InvalidInput

CI_FIELDS: Final = editable_fields(ConfigurationItem)
CI_TYPE_FIELDS: Final = editable_fields(CIType)
SERVICE_FIELDS: Final = editable_fields(Service)
# How the audit rows address each kind of record (the audit trail's subject_type).
SUBJECTS: Final[Mapping[type[models.Model], str]] = {ConfigurationItem: "ci", Service: "service", CIType: "ci_type"}


def create_ci_type(*, actor: User | None, slug: str, name: str, description: str = "") -> CIType:
    """Add a kind of CI (e.g. 'message-queue')."""
    check_may_manage(actor)
    return _created(CIType(slug=slug, name=name, description=description), actor=actor)


def update_ci_type(
    ci_type: CIType, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> CIType:
    check_may_manage(actor)
    return _changed(ci_type, changes, allowed=CI_TYPE_FIELDS, actor=actor, if_match=if_match)


def delete_ci_type(ci_type: CIType, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    """Remove a CI type no CI uses any more."""
    check_may_manage(actor)
    refusal = f"CI type {ci_type.slug!r} is still used by CIs; give them another type first."
    _deleted(ci_type, refusal, actor=actor, if_match=if_match)


def ensure_default_ci_types() -> dict[str, CIType]:
    """The CI types every CMDB starts with (the migration seeds them too), by slug. Safe to call twice."""
    types = {}
    for slug, name in DEFAULT_CI_TYPES:
        ci_type, created = CIType.objects.get_or_create(slug=slug, defaults={"name": name})
        if created:
            record_changes(subject_type="ci_type", subject_id=ci_type.pk, actor=None, changes=[("created", "", name)])
        types[slug] = ci_type
    return types


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
    ci = ConfigurationItem(name=clean_name(name), ci_type=ci_type, criticality=criticality, **extra)
    return _created(ci, actor=actor)


def create_ci_from(*, actor: User | None, fields: Mapping[str, Any]) -> ConfigurationItem:
    """``create_ci`` with all of the CI's fields in one mapping (a form's cleaned data)."""
    rest = dict(fields)
    name, ci_type, criticality = rest.pop("name"), rest.pop("ci_type"), rest.pop("criticality")
    return create_ci(actor=actor, name=name, ci_type=ci_type, criticality=criticality, fields=rest)


def update_ci(
    ci: ConfigurationItem, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> ConfigurationItem:
    """Change a CI's fields. Changing nothing is a no-op."""
    check_may_manage(actor)
    if "name" in changes:
        changes = {**changes, "name": clean_name(changes["name"])}
    return _changed(ci, changes, allowed=CI_FIELDS, actor=actor, if_match=if_match)


def delete_ci(ci: ConfigurationItem, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    """Remove a CI and its relationships. Refused while incidents or a service still name it."""
    check_may_manage(actor)
    if Service.objects.filter(ci=ci).exists():
        raise Conflict(f"{ci.name} stands for a business service; delete or relink the service first.")
    refusal = f"Incidents name {ci.name}; retire it (status 'retired') instead of deleting it."
    _deleted(ci, refusal, actor=actor, if_match=if_match)


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
    name = clean_name(name)
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
    name = clean_name(name)
    if not CIType.objects.filter(slug=BUSINESS_SERVICE_TYPE).exists():
        raise Conflict(f"The CI type {BUSINESS_SERVICE_TYPE!r} is missing; create it first.", field="ci")
    if ConfigurationItem.objects.filter(name=name).exists():
        raise InvalidInput(
            f"A CI named {name!r} exists already: give it as the service's CI, or name the service differently.",
            field="ci",
        )


def update_service(
    service: Service, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> Service:
    check_may_manage(actor)
    return _changed(service, changes, allowed=SERVICE_FIELDS, actor=actor, if_match=if_match)


def delete_service(service: Service, *, actor: User | None, if_match: IfMatch | None = None) -> None:
    """Remove a business service (its CI stays in the graph). Refused while incidents name it."""
    check_may_manage(actor)
    refusal = f"Incidents name the service {service.name}; it cannot be deleted."
    _deleted(service, refusal, actor=actor, if_match=if_match)


# --- shared steps ---------------------------------------------------------------------------


def _changed[M: models.Model](
    row: M, changes: Mapping[str, Any], *, allowed: frozenset[str], actor: User | None, if_match: IfMatch | None
) -> M:
    with transaction.atomic():
        subject = SUBJECTS[type(row)]
        fields = update_audited(
            row, changes, subject_type=subject, actor=actor, allowed=allowed, names=FIELD_NAMES, if_match=if_match
        )
        if fields:
            _after_save(row)
            publish_change(subject, row.pk, actor, tuple(fields))
    return row


def _created[M: models.Model](row: M, *, actor: User | None) -> M:
    with transaction.atomic():
        create_audited(row, subject_type=SUBJECTS[type(row)], actor=actor, names=FIELD_NAMES)
        _after_save(row)
        publish_change(SUBJECTS[type(row)], row.pk, actor, ("created",))
    return row


def _after_save(row: models.Model) -> None:
    if isinstance(row, ConfigurationItem):
        sync_names([row])


def _deleted(row: models.Model, refusal: str, *, actor: User | None, if_match: IfMatch | None) -> None:
    pk = row.pk
    delete_audited(row, subject_type=SUBJECTS[type(row)], actor=actor, refusal=refusal, if_match=if_match)
    publish_change(SUBJECTS[type(row)], pk, actor, ("deleted",))


def _check_known(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = [FIELD_NAMES.get(name, name) for name in sorted(set(fields) - allowed)]
    if unknown:
        raise InvalidInput(f"These fields cannot be set: {', '.join(unknown)}.", field=unknown[0])
