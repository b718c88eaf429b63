"""Logging and editing incidents through the console's forms: happy paths, inline errors, stale edits."""

import re

from keel.activity.models import TimelineEntry
from keel.incidents.actions.records import open_incident, update_incident
from keel.incidents.models import Category, Incident
from keel.incidents.states import Channel, IncidentState, Level


def _only(queryset):
    return queryset.get()


def _form(response):
    return response.content.decode()


# --- create ----------------------------------------------------------------------------------


def test_agent_logs_an_incident_for_a_caller(client, agent, requester):
    client.force_login(agent)

    response = client.post(
        "/incidents/new/",
        {"caller": "rita", "channel": "phone", "title": "ERP down", "impact": "1", "urgency": "2", "description": "x"},
    )

    incident = _only(Incident.objects.all())
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.number}/"
    assert (incident.caller, incident.opened_by, incident.channel, incident.priority) == (
        requester,
        agent,
        Channel.PHONE,
        2,
    )
    assert f"Logged {incident.number} as P2 High." in client.get(response["Location"]).content.decode()


def test_agent_logs_and_assigns_in_one_go(client, agent, requester, service_desk):
    client.force_login(agent)

    client.post(
        "/incidents/new/",
        {
            "caller": "rita",
            "channel": "phone",
            "title": "Mail down",
            "impact": "2",
            "urgency": "2",
            "assignment_group": service_desk.pk,
            "assignee": agent.pk,
        },
    )

    incident = _only(Incident.objects.all())
    assert (incident.state, incident.assignment_group, incident.assignee) == (
        IncidentState.ASSIGNED,
        service_desk,
        agent,
    )


def test_an_empty_caller_means_the_agent_themselves(client, agent):
    client.force_login(agent)

    client.post("/incidents/new/", {"caller": "", "channel": "chat", "title": "My screen", "impact": 3, "urgency": 3})

    assert _only(Incident.objects.all()).caller == agent


def test_category_pair_is_passed_to_the_action(client, agent):
    hardware = Category.objects.create(name="Hardware")
    laptop = Category.objects.create(name="Laptop", parent=hardware)
    client.force_login(agent)

    client.post(
        "/incidents/new/",
        {
            "title": "Fan noise",
            "channel": "phone",
            "impact": 3,
            "urgency": 3,
            "category": hardware.pk,
            "subcategory": laptop.pk,
        },
    )

    incident = _only(Incident.objects.all())
    assert (incident.category, incident.subcategory) == (hardware, laptop)


def test_an_unknown_caller_is_flagged_next_to_the_field_and_input_is_kept(client, agent):
    client.force_login(agent)

    response = client.post(
        "/incidents/new/",
        {
            "caller": "nobody",
            "channel": "phone",
            "title": "VPN drops",
            "description": "Since 9 am",
            "impact": 1,
            "urgency": 1,
        },
    )

    page = _form(response)
    assert response.status_code == 400
    assert re.search(r'<ul class="errorlist" id="id_caller_error"><li>No user &#x27;nobody&#x27; for caller', page)
    assert 'aria-invalid="true"' in page
    assert 'value="VPN drops"' in page
    assert "Since 9 am</textarea>" in page
    assert Incident.objects.count() == 0


def test_the_actions_errors_land_next_to_their_field(client, agent):
    client.force_login(agent)

    response = client.post(
        "/incidents/new/",
        {"caller": "", "channel": "phone", "title": "   ", "description": "Kept", "impact": 2, "urgency": 1},
    )

    page = _form(response)
    assert response.status_code == 400
    assert 'id="id_title_error"><li>Give the incident a short title' in page
    assert "Kept</textarea>" in page
    assert Incident.objects.count() == 0


def test_a_mismatched_subcategory_is_refused(client, agent):
    hardware = Category.objects.create(name="Hardware")
    software = Category.objects.create(name="Software")
    editor = Category.objects.create(name="Editor", parent=software)
    client.force_login(agent)

    response = client.post(
        "/incidents/new/",
        {
            "title": "Odd",
            "channel": "phone",
            "impact": 3,
            "urgency": 3,
            "category": hardware.pk,
            "subcategory": editor.pk,
        },
    )

    assert response.status_code == 400
    assert 'id="id_subcategory_error"><li>Subcategory Editor does not belong to category Hardware' in _form(response)


def test_a_requester_reports_only_for_themselves(client, requester, other_requester, service_desk):
    client.force_login(requester)

    page = _form(client.get("/incidents/new/"))
    client.post(
        "/incidents/new/",
        {"title": "Printer", "impact": 3, "urgency": 3, "caller": "otto", "assignment_group": service_desk.pk},
    )

    incident = _only(Incident.objects.all())
    assert 'name="caller"' not in page
    assert 'name="assignment_group"' not in page
    assert (incident.caller, incident.assignment_group, incident.channel) == (requester, None, Channel.PORTAL)


def test_the_form_shows_the_computed_priority(client, agent):
    client.force_login(agent)

    page = _form(client.get("/incidents/new/"))

    assert '<output id="priority-preview"' in page
    assert "P5 Planning" in page


def test_priority_preview_follows_impact_and_urgency(client, agent):
    client.force_login(agent)

    response = client.get("/incidents/priority/", {"impact": "1", "urgency": "1"}, headers={"HX-Request": "true"})

    assert "P1 Critical" in response.content.decode()


def test_priority_preview_rejects_nonsense(client, agent):
    client.force_login(agent)

    assert client.get("/incidents/priority/", {"impact": "9", "urgency": "1"}).status_code == 400


def test_caller_suggestions_for_staff_only(client, agent, requester):
    client.force_login(agent)
    staff_answer = client.get("/incidents/callers/", {"caller": "ri"}).content.decode()
    client.force_login(requester)
    requester_answer = client.get("/incidents/callers/", {"caller": "ri"}).content.decode()

    assert '<option value="rita">Rita' in staff_answer
    assert "<option" not in requester_answer


# --- edit -------------------------------------------------------------------------------------


def _seen(incident):
    """What the edit form holds when opened: each value, and the same again as Django's hidden initial."""
    values = {
        "title": incident.title,
        "description": incident.description,
        "caller": incident.caller.username,
        "channel": incident.channel,
        "impact": incident.impact,
        "urgency": incident.urgency,
        "category": "",
        "subcategory": "",
        "service": "",
        "ci": "",
        "parent": "",
    }
    return {**values, **{f"initial-{name}": value for name, value in values.items()}, "version": incident.version}


def _edit_data(incident, **changes):
    return {**_seen(incident), **changes}


def test_agent_edits_an_incident_and_priority_follows(client, agent, incident):
    client.force_login(agent)

    form = _form(client.get(f"/incidents/{incident.number}/edit/"))
    response = client.post(
        f"/incidents/{incident.number}/edit/", _edit_data(incident, title="Outlook and OWA down", impact=Level.HIGH)
    )

    stored = Incident.objects.get(pk=incident.pk)
    assert f'name="version" value="{incident.version}"' in form
    assert response.status_code == 302
    assert (stored.title, stored.priority) == ("Outlook and OWA down", 1)


def test_saving_unchanged_fields_changes_nothing(client, agent, incident):
    client.force_login(agent)

    client.post(f"/incidents/{incident.number}/edit/", _edit_data(incident))

    assert Incident.objects.get(pk=incident.pk).version == incident.version


def test_edit_errors_keep_what_was_typed(client, agent, incident):
    client.force_login(agent)

    response = client.post(
        f"/incidents/{incident.number}/edit/", _edit_data(incident, caller="", title="Typed but not saved")
    )

    page = _form(response)
    assert response.status_code == 400
    assert "Give the username of the person affected." in page
    assert 'value="Typed but not saved"' in page
    assert Incident.objects.get(pk=incident.pk).title == incident.title


def test_an_incident_cannot_be_its_own_parent(client, agent, incident):
    client.force_login(agent)

    response = client.post(f"/incidents/{incident.number}/edit/", _edit_data(incident, parent=incident.number))

    assert response.status_code == 400
    assert "cannot be its own parent" in _form(response)


def test_the_form_remembers_what_it_started_from(client, agent, incident):
    client.force_login(agent)

    page = _form(client.get(f"/incidents/{incident.number}/edit/"))

    assert f'name="initial-title" value="{incident.title}"' in page


def test_a_stale_edit_says_so_and_loses_nothing(client, agent, incident):
    client.force_login(agent)
    seen = _seen(incident)
    update_incident(incident, actor=agent, changes={"title": "Outlook down for the whole floor", "urgency": Level.LOW})

    response = client.post(
        f"/incidents/{incident.number}/edit/",
        {**seen, "title": "Outlook cannot connect (VPN users)", "description": "Only over VPN"},
    )

    page = _form(response)
    stored = Incident.objects.get(pk=incident.pk)
    assert response.status_code == 412
    assert "Someone else saved" in page
    # Both changed the title: what was typed stays, and the field says what the other person saved.
    assert 'value="Outlook cannot connect (VPN users)"' in page
    assert "Someone else saved “Outlook down for the whole floor” here meanwhile" in page
    # Only the other person changed urgency: the form now holds their value.
    assert re.search(r'<option value="3" selected>Low</option>', page.split('name="urgency"')[1])
    assert "Someone else changed this meanwhile to “Low”" in page
    # Only this person changed the description: kept, no remark.
    assert "Only over VPN</textarea>" in page
    assert f'name="version" value="{stored.version}"' in page
    assert (stored.title, stored.description, stored.urgency) == ("Outlook down for the whole floor", "", Level.LOW)


def test_saving_again_after_a_stale_warning_merges_both_changes(client, agent, incident):
    client.force_login(agent)
    seen = _seen(incident)
    update_incident(incident, actor=agent, changes={"urgency": Level.LOW})
    client.post(f"/incidents/{incident.number}/edit/", {**seen, "title": "Mine"})
    rebased = {**_seen(incident), "title": "Mine"}

    response = client.post(f"/incidents/{incident.number}/edit/", rebased)

    stored = Incident.objects.get(pk=incident.pk)
    assert response.status_code == 302
    assert (stored.title, stored.urgency) == ("Mine", Level.LOW)


def test_browser_line_ends_do_not_count_as_an_edit(client, agent, requester):
    incident = open_incident(actor=agent, caller=requester, title="Two lines", description="first\nsecond")
    client.force_login(agent)

    client.post(f"/incidents/{incident.number}/edit/", _edit_data(incident, description="first\r\nsecond"))

    assert Incident.objects.get(pk=incident.pk).version == incident.version


def test_an_edit_leaves_a_timeline_entry(client, agent, incident):
    client.force_login(agent)

    client.post(f"/incidents/{incident.number}/edit/", _edit_data(incident, description="More detail"))

    assert TimelineEntry.objects.filter(subject_id=incident.pk, summary="Changed description").exists()
