"""The steps on a record through the console: transition, assign, comment, attach (and htmx)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from keel.activity.models import Attachment, EntryKind, TimelineEntry
from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.conversation import add_comment, attach_file
from keel.incidents.actions.lifecycle import resolve_incident, transition_incident
from keel.incidents.models import Incident
from keel.incidents.states import HoldReason, IncidentState, ResolutionCode

HTMX = {"HX-Request": "true"}


def _stored(incident):
    return Incident.objects.get(pk=incident.pk)


def _post(client, incident, action, data, **kwargs):
    return client.post(f"/incidents/{incident.number}/{action}/", data, **kwargs)


# --- transitions ------------------------------------------------------------------------------


def test_start_work_takes_the_incident(client, agent, incident):
    client.force_login(agent)

    response = _post(client, incident, "transition", {"to": "in_progress"})

    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.number}/"
    assert (_stored(incident).state, _stored(incident).assignee) == (IncidentState.IN_PROGRESS, agent)


def test_resolve_with_code_and_notes(client, agent, incident):
    client.force_login(agent)

    _post(
        client,
        incident,
        "transition",
        {"to": "resolved", "resolution_code": "solved_workaround", "resolution_notes": "Cleared the OST cache"},
    )

    stored = _stored(incident)
    assert (stored.state, stored.resolution_code, stored.resolution_notes) == (
        IncidentState.RESOLVED,
        ResolutionCode.SOLVED_WORKAROUND,
        "Cleared the OST cache",
    )
    assert TimelineEntry.objects.filter(kind=EntryKind.STATE_CHANGED, body="Cleared the OST cache").exists()


def test_resolve_without_a_code_asks_for_it_inline_and_keeps_the_notes(client, agent, incident):
    client.force_login(agent)

    response = _post(client, incident, "transition", {"to": "resolved", "resolution_notes": "Typed notes"})

    page = response.content.decode()
    assert response.status_code == 422
    assert 'id="resolved-resolution_code_error"' in page
    assert "Choose how it was resolved." in page
    assert "Typed notes</textarea>" in page
    assert '<details class="action-panel" data-step="resolved" open>' in page
    assert _stored(incident).state == IncidentState.NEW


def test_put_on_hold_from_in_progress(client, agent, incident):
    transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)
    client.force_login(agent)

    missing = _post(client, incident, "transition", {"to": "on_hold"})
    given = _post(client, incident, "transition", {"to": "on_hold", "hold_reason": "awaiting_vendor", "note": "RMA"})

    assert missing.status_code == 422
    assert given.status_code == 302
    assert (_stored(incident).state, _stored(incident).hold_reason) == (
        IncidentState.ON_HOLD,
        HoldReason.AWAITING_VENDOR,
    )


def test_requester_confirms_the_resolution(client, requester, agent, incident):
    resolve_incident(incident, actor=agent, code=ResolutionCode.SOLVED_REMOTELY)
    client.force_login(requester)

    response = _post(client, incident, "transition", {"to": "closed"})

    assert response.status_code == 302
    assert _stored(incident).state == IncidentState.CLOSED


def test_reopen_needs_a_reason(client, requester, agent, incident):
    resolve_incident(incident, actor=agent, code=ResolutionCode.SOLVED_REMOTELY)
    client.force_login(requester)

    missing = _post(client, incident, "transition", {"to": "in_progress", "note": "  "})
    given = _post(client, incident, "transition", {"to": "in_progress", "note": "Still cannot send mail"})

    assert missing.status_code == 422
    assert "Say why the resolution did not work" in missing.content.decode()
    assert given.status_code == 302
    assert (_stored(incident).state, _stored(incident).reopen_count) == (IncidentState.IN_PROGRESS, 1)


def test_cancel_with_a_note(client, agent, incident):
    client.force_login(agent)

    _post(client, incident, "transition", {"to": "cancelled", "note": "Duplicate of a call an hour ago"})

    assert _stored(incident).state == IncidentState.CANCELLED
    assert TimelineEntry.objects.filter(body="Duplicate of a call an hour ago").exists()


def test_htmx_transition_returns_the_refreshed_record(client, agent, incident):
    client.force_login(agent)

    response = _post(client, incident, "transition", {"to": "in_progress"}, headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert page.lstrip().startswith('<div id="record"')
    assert f"{incident.number} is now in progress." in page
    assert "In progress</span>" in page


def test_htmx_errors_come_back_as_the_record_with_the_status(client, agent, incident):
    client.force_login(agent)

    response = _post(client, incident, "transition", {"to": "resolved"}, headers=HTMX)

    assert response.status_code == 422
    assert response.content.decode().lstrip().startswith('<div id="record"')


def test_an_error_for_a_step_no_longer_offered_is_shown_on_top(client, agent, incident):
    transition_incident(incident, IncidentState.CANCELLED, actor=agent)
    client.force_login(agent)

    response = _post(client, incident, "transition", {"to": "in_progress"})

    assert response.status_code == 409
    assert "That did not work" in response.content.decode()


# --- assign -----------------------------------------------------------------------------------


def test_assign_to_a_group_and_a_person(client, agent, resolver, incident, network_team):
    client.force_login(agent)

    response = _post(client, incident, "assign", {"group": network_team.pk, "assignee": resolver.pk, "note": "VPN"})

    stored = _stored(incident)
    assert response.status_code == 302
    assert (stored.state, stored.assignment_group, stored.assignee) == (IncidentState.ASSIGNED, network_team, resolver)


def test_assign_to_someone_outside_the_group_is_refused_inline(client, agent, incident, network_team):
    client.force_login(agent)

    response = _post(client, incident, "assign", {"group": network_team.pk, "assignee": agent.pk, "note": "Keep me"})

    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="assign-assignee_error"><li>Alice is not a member of Network' in page
    assert "Keep me</textarea>" in page
    assert _stored(incident).assignment_group is None


def test_assign_needs_a_group(client, agent, incident):
    client.force_login(agent)

    response = _post(client, incident, "assign", {"group": ""})

    assert response.status_code == 400
    assert "Pick the group that should work on it." in response.content.decode()


def test_reassign_counts(client, agent, incident, service_desk, network_team):
    assign_incident(incident, actor=agent, group=service_desk)
    client.force_login(agent)

    _post(client, incident, "assign", {"group": network_team.pk})

    assert (_stored(incident).assignment_group, _stored(incident).reassignment_count) == (network_team, 1)


# --- comments ---------------------------------------------------------------------------------


def test_staff_write_a_work_note_unless_they_tick_public(client, agent, incident):
    client.force_login(agent)

    _post(client, incident, "comment", {"body": "Internal only"})
    _post(client, incident, "comment", {"body": "Hello Rita", "public": "on"})

    assert TimelineEntry.objects.get(body="Internal only").kind == EntryKind.WORK_NOTE
    assert TimelineEntry.objects.get(body="Hello Rita").is_public is True


def test_requester_comments_publicly(client, requester, incident):
    client.force_login(requester)

    response = _post(client, incident, "comment", {"body": "It happens again"})

    assert response.status_code == 302
    assert TimelineEntry.objects.get(body="It happens again").kind == EntryKind.COMMENT


def test_an_empty_comment_is_refused(client, agent, incident):
    client.force_login(agent)

    response = _post(client, incident, "comment", {"body": "   "})

    assert response.status_code == 400
    assert 'id="comment-body_error"><li>Write something before sending the comment.' in response.content.decode()


def test_htmx_comment_shows_up_in_the_returned_timeline(client, agent, incident):
    client.force_login(agent)

    response = _post(client, incident, "comment", {"body": "Rebooted the router", "public": "on"}, headers=HTMX)

    assert "Rebooted the router" in response.content.decode()
    assert "Comment added." in response.content.decode()


# --- attachments ------------------------------------------------------------------------------


def test_attach_and_download_a_file(client, agent, incident):
    client.force_login(agent)

    response = _post(
        client, incident, "attach", {"file": SimpleUploadedFile("trace.txt", b"ping timeout"), "public": "on"}
    )

    attachment = Attachment.objects.get()
    download = client.get(f"/incidents/{incident.number}/attachments/{attachment.pk}/")
    assert response.status_code == 302
    assert b"".join(download.streaming_content) == b"ping timeout"
    assert "trace.txt" in client.get(f"/incidents/{incident.number}/").content.decode()


def test_a_forbidden_file_type_is_refused_inline(client, agent, incident):
    client.force_login(agent)

    response = _post(client, incident, "attach", {"file": SimpleUploadedFile("setup.exe", b"MZ")})

    assert response.status_code == 400
    assert 'id="attach-file_error"><li>setup.exe is of type' in response.content.decode()
    assert Attachment.objects.count() == 0


def test_attaching_needs_a_file(client, agent, incident):
    client.force_login(agent)

    response = _post(client, incident, "attach", {})

    assert response.status_code == 400
    assert "Choose a file to attach." in response.content.decode()


def test_a_requester_cannot_download_a_staff_only_file(client, agent, requester, incident):
    attachment = attach_file(incident, actor=agent, upload=SimpleUploadedFile("notes.txt", b"secret"), public=False)
    client.force_login(requester)

    response = client.get(f"/incidents/{incident.number}/attachments/{attachment.pk}/")

    assert response.status_code == 404
    assert "notes.txt" not in client.get(f"/incidents/{incident.number}/").content.decode()


# --- cost ---------------------------------------------------------------------------------------


def test_the_record_does_not_query_per_timeline_entry(
    client, make_user, service_desk, incident, django_assert_max_num_queries
):
    helpers = [make_user(f"helper{n}", "agent", team=service_desk) for n in range(15)]
    for n, helper in enumerate(helpers):
        add_comment(incident, actor=helper, body=f"Note {n}", public=False)
        attach_file(incident, actor=helper, upload=SimpleUploadedFile(f"f{n}.txt", b"x"))
    client.force_login(helpers[0])

    # Two more than before the SLA panel: the incident's clocks (none here; with clocks, their events
    # too), and the pages of it waiting for an answer (the Acknowledge step).
    with django_assert_max_num_queries(12):
        response = client.get(f"/incidents/{incident.number}/")

    assert "Note 14" in response.content.decode()
