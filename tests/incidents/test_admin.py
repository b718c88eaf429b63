import pytest

from keel.audit.models import AuditRecord
from keel.incidents.actions.reference import create_category
from keel.incidents.models import Category, PriorityRule
from keel.incidents.queries.records import priority_for
from keel.incidents.states import Level, Priority
from keel.lib.doors import Door


@pytest.mark.parametrize(
    "path", ["/admin/incidents/category/", "/admin/incidents/priorityrule/", "/admin/incidents/incident/"]
)
def test_admins_manage_reference_data(client, admin_user, incident, path):
    client.force_login(admin_user)

    assert client.get(path).status_code == 200


def test_the_priority_matrix_is_edited_in_place(client, admin_user):
    client.force_login(admin_user)

    assert client.get("/admin/incidents/priorityrule/add/").status_code == 403
    assert PriorityRule.objects.count() == 9


def test_incidents_are_read_only_in_the_admin(client, admin_user, incident):
    client.force_login(admin_user)

    response = client.post(f"/admin/incidents/incident/{incident.pk}/change/", {"title": "Changed behind the actions"})

    assert response.status_code == 403


def test_agents_do_not_get_the_admin(client, agent):
    client.force_login(agent)

    assert client.get("/admin/incidents/category/").status_code == 302


def _category_form(name, *, parent="", is_active=True, subcategories=(), existing=0):
    """The admin's category form with its inline subcategories: (id or "", name, active, delete)."""
    data = {
        "name": name,
        "parent": parent,
        "children-TOTAL_FORMS": str(len(subcategories)),
        "children-INITIAL_FORMS": str(existing),
        "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "1000",
    }
    if is_active:
        data["is_active"] = "on"
    for index, (pk, child, active, delete) in enumerate(subcategories):
        data |= {f"children-{index}-id": str(pk), f"children-{index}-name": child, f"children-{index}-parent": ""}
        data |= {f"children-{index}-is_active": "on"} if active else {}
        data |= {f"children-{index}-DELETE": "on"} if delete else {}
    return data


def _category_audit():
    rows = AuditRecord.objects.filter(subject_type="category").order_by("pk")
    return list(rows.values_list("field", "old_value", "new_value", "channel"))


def test_categories_and_their_subcategories_are_changed_through_the_actions_and_audited(client, admin_user):
    client.force_login(admin_user)

    added = client.post(
        "/admin/incidents/category/add/",
        _category_form("Hardware", subcategories=[("", "Printers", True, False), ("", "Docks", True, False)]),
    )
    hardware = Category.objects.get(name="Hardware")
    printers, docks = (Category.objects.get(name=name, parent=hardware) for name in ("Printers", "Docks"))
    changed = client.post(
        f"/admin/incidents/category/{hardware.pk}/change/",
        _category_form(
            "Devices",
            subcategories=[(printers.pk, "Laser printers", False, False), (docks.pk, "Docks", True, True)],
            existing=2,
        ),
    )

    assert (added.status_code, changed.status_code) == (302, 302)
    assert sorted(Category.objects.values_list("name", "is_active")) == [("Devices", True), ("Laser printers", False)]
    assert _category_audit() == [
        ("created", "", "Hardware", Door.ADMIN),
        ("created", "", "Printers", Door.ADMIN),
        ("created", "", "Docks", Door.ADMIN),
        ("name", "Hardware", "Devices", Door.ADMIN),
        ("deleted", "Docks", "", Door.ADMIN),
        ("name", "Printers", "Laser printers", Door.ADMIN),
        ("is_active", "True", "False", Door.ADMIN),
    ]


def test_deleting_categories_in_the_admin_is_audited(client, admin_user):
    client.force_login(admin_user)
    one, two, three = (create_category(actor=None, name=name) for name in ("One", "Two", "Three"))

    single = client.post(f"/admin/incidents/category/{one.pk}/delete/", {"post": "yes"})
    selected = client.post(
        "/admin/incidents/category/",
        {"action": "delete_selected", "_selected_action": [two.pk, three.pk], "post": "yes"},
    )

    assert (single.status_code, selected.status_code) == (302, 302)
    assert not Category.objects.exists()
    deleted = [(old, channel) for field, old, _, channel in _category_audit() if field == "deleted"]
    assert sorted(deleted) == [("One", Door.ADMIN), ("Three", Door.ADMIN), ("Two", Door.ADMIN)]


def test_the_priority_matrix_is_edited_in_the_list_through_the_action_and_audited(client, admin_user):
    client.force_login(admin_user)
    cells = list(PriorityRule.objects.order_by("impact", "urgency"))
    data = {"form-TOTAL_FORMS": str(len(cells)), "form-INITIAL_FORMS": str(len(cells)), "_save": "Save"}
    for index, cell in enumerate(cells):
        data |= {f"form-{index}-id": str(cell.pk), f"form-{index}-priority": str(cell.priority)}
    low = next(index for index, cell in enumerate(cells) if (cell.impact, cell.urgency) == (Level.LOW, Level.LOW))
    data[f"form-{low}-priority"] = str(Priority.P4.value)

    response = client.post("/admin/incidents/priorityrule/", data)

    assert response.status_code == 302
    assert priority_for(Level.LOW, Level.LOW) == Priority.P4
    rows = AuditRecord.objects.filter(subject_type="priority_rule")
    assert list(rows.values_list("field", "old_value", "new_value", "channel")) == [("priority", "5", "4", Door.ADMIN)]
