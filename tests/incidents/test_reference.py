"""The incident reference data (categories, the priority matrix) changes through its actions, audited."""

import pytest

from keel.audit.models import AuditRecord
from keel.incidents.actions.records import open_incident
from keel.incidents.actions.reference import (
    create_category,
    delete_category,
    ensure_category,
    set_priority,
    update_category,
)
from keel.incidents.models import Category, PriorityRule
from keel.incidents.queries.records import priority_for
from keel.incidents.states import DEFAULT_PRIORITY_MATRIX, Level, Priority
from keel.lib.errors import Conflict, InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db


def _audit(subject_type, pk):
    rows = AuditRecord.objects.filter(subject_type=subject_type, subject_id=pk).order_by("pk")
    return list(rows.values_list("field", "old_value", "new_value", "actor"))


def test_a_category_and_its_subcategory_are_created_and_audited(admin_user):
    hardware = create_category(actor=admin_user, name="Hardware")
    printers = create_category(actor=admin_user, name="Printers", parent=hardware)

    assert printers.parent == hardware
    assert _audit("category", hardware.pk) == [("created", "", "Hardware", admin_user.pk)]
    assert _audit("category", printers.pk) == [("created", "", "Printers", admin_user.pk)]


def test_ensuring_a_category_twice_creates_it_once(db):
    network = ensure_category(actor=None, name="Network")
    vpn = ensure_category(actor=None, name="VPN", parent=network)

    assert ensure_category(actor=None, name="Network") == network
    assert ensure_category(actor=None, name="VPN", parent=network) == vpn
    assert Category.objects.count() == 2
    assert len(_audit("category", network.pk)) == 1


def test_renaming_and_deactivating_a_category_audits_each_field(admin_user):
    hardware = create_category(actor=admin_user, name="Hardware")

    changed = update_category(hardware, actor=admin_user, changes={"name": "Devices", "is_active": False})

    assert changed == ["name", "is_active"]
    assert _audit("category", hardware.pk)[1:] == [
        ("name", "Hardware", "Devices", admin_user.pk),
        ("is_active", "True", "False", admin_user.pk),
    ]
    assert update_category(hardware, actor=admin_user, changes={"name": "Devices"}) == []


def test_a_name_taken_at_the_same_level_is_refused(admin_user):
    create_category(actor=admin_user, name="Hardware")
    software = create_category(actor=admin_user, name="Software")

    with pytest.raises(InvalidInput):
        update_category(software, actor=admin_user, changes={"name": "Hardware"})

    assert Category.objects.get(pk=software.pk).name == "Software"
    assert len(_audit("category", software.pk)) == 1


def test_a_category_in_use_cannot_be_deleted_and_an_unused_one_is_deleted_and_audited(admin_user, agent, requester):
    hardware = create_category(actor=admin_user, name="Hardware")
    spare = create_category(actor=admin_user, name="Spare")
    spare_id = spare.pk
    open_incident(actor=agent, caller=requester, title="Dock dead", category=hardware)

    with pytest.raises(Conflict):
        delete_category(hardware, actor=admin_user)
    delete_category(spare, actor=admin_user)

    assert list(Category.objects.values_list("name", flat=True)) == ["Hardware"]
    assert _audit("category", spare_id)[-1] == ("deleted", "Spare", "", admin_user.pk)


def test_setting_a_cell_of_the_matrix_is_audited_and_new_incidents_take_it(admin_user, agent, requester):
    cell = PriorityRule.objects.get(impact=Level.LOW, urgency=Level.LOW)

    set_priority(cell, actor=admin_user, priority=Priority.P4)
    set_priority(cell, actor=admin_user, priority=Priority.P4)

    assert priority_for(Level.LOW, Level.LOW) == Priority.P4
    assert open_incident(actor=agent, caller=requester, title="Mouse").priority == Priority.P4
    assert _audit("priority_rule", cell.pk) == [("priority", "5", "4", admin_user.pk)]


def test_only_administrators_change_the_reference_data(agent):
    cell = PriorityRule.objects.get(impact=Level.HIGH, urgency=Level.HIGH)

    with pytest.raises(NotAllowed):
        create_category(actor=agent, name="Mine")
    with pytest.raises(NotAllowed):
        set_priority(cell, actor=agent, priority=Priority.P5)

    assert not Category.objects.exists()
    assert PriorityRule.objects.get(pk=cell.pk).priority == Priority.P1


def test_a_cell_missing_from_the_matrix_takes_the_built_in_priority(db):
    PriorityRule.objects.filter(impact=Level.HIGH, urgency=Level.MEDIUM).delete()

    assert priority_for(Level.HIGH, Level.MEDIUM) == DEFAULT_PRIORITY_MATRIX[(Level.HIGH, Level.MEDIUM)]
    assert priority_for(Level.HIGH, Level.HIGH) == Priority.P1
