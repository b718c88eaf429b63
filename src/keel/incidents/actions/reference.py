"""The reference data incidents are described by: the category tree and the impact × urgency →
priority matrix. Administrators change it in the admin, the demo loader creates it; each change
is validated and audited (``keel.audit``: subjects ``category`` and ``priority_rule``)."""

from collections.abc import Mapping
from typing import Any, Final

from keel.accounts.models import User
from keel.audit.actions import create_audited, delete_audited, update_audited
from keel.incidents.models import Category, PriorityRule
from keel.incidents.permissions import can_manage_reference_data
from keel.incidents.states import Priority
from keel.lib.errors import NotAllowed

CATEGORY: Final = "category"
PRIORITY_RULE: Final = "priority_rule"
# What a category's change may set: rename it, move it under another category, (de)activate it.
CATEGORY_FIELDS: Final = frozenset({"name", "parent", "is_active"})


def create_category(
    *, actor: User | None, name: str, parent: Category | None = None, is_active: bool = True
) -> Category:
    """A new top-level category, or a subcategory of ``parent``."""
    _check_may_change(actor)
    return create_audited(Category(name=name, parent=parent, is_active=is_active), subject_type=CATEGORY, actor=actor)


def ensure_category(*, actor: User | None, name: str, parent: Category | None = None) -> Category:
    """The category of this name under ``parent`` (None: a top-level one), created when there is
    none: safe to run twice."""
    found = Category.objects.filter(name=name, parent=parent).first()
    return found if found is not None else create_category(actor=actor, name=name, parent=parent)


def update_category(category: Category, *, actor: User | None, changes: Mapping[str, Any]) -> list[str]:
    """Rename, move, deactivate or reactivate a category (a deactivated one is no longer offered
    for new incidents). Returns the fields changed; changing nothing is a no-op."""
    _check_may_change(actor)
    return update_audited(category, changes, subject_type=CATEGORY, actor=actor, allowed=CATEGORY_FIELDS)


def delete_category(category: Category, *, actor: User | None) -> None:
    """Delete a category that no incident and no subcategory uses (Conflict otherwise)."""
    _check_may_change(actor)
    refusal = f"{category} has subcategories or incidents; deactivate it instead, or delete those first."
    delete_audited(category, subject_type=CATEGORY, actor=actor, refusal=refusal)


def set_priority(rule: PriorityRule, *, actor: User | None, priority: Priority) -> PriorityRule:
    """Set one cell of the matrix: incidents opened, or whose impact or urgency change, from now on
    take it. Setting the priority it has is a no-op."""
    _check_may_change(actor)
    update_audited(rule, {"priority": priority}, subject_type=PRIORITY_RULE, actor=actor, allowed={"priority"})
    return rule


def _check_may_change(actor: User | None) -> None:
    if actor is not None and not can_manage_reference_data(actor):
        raise NotAllowed("Only administrators can change the incident categories and the priority matrix.")
