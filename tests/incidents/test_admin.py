import pytest

from keel.incidents.models import PriorityRule


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
