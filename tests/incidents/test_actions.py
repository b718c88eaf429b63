from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from keel.activity.models import EntryKind, TimelineEntry
from keel.audit.models import AuditRecord
from keel.incidents.actions.assignment import assign_incident
from keel.incidents.actions.conversation import add_comment, attach_file
from keel.incidents.actions.lifecycle import (
    close_stale_resolved_incidents,
    reopen_incident,
    resolve_incident,
    transition_incident,
)
from keel.incidents.actions.records import add_watcher, open_incident, update_incident
from keel.incidents.models import Category, Incident, PriorityRule
from keel.incidents.queries.records import incidents_visible_to
from keel.incidents.states import HoldReason, IncidentState, Level, ResolutionCode
from keel.lib import clock
from keel.lib.conditional import IfMatch
from keel.lib.doors import Door
from keel.lib.errors import Conflict, InvalidInput, MissingField, NotAllowed, StaleVersion
from tests.incidents.helpers import open_in_progress, open_on_hold, open_resolved


def _timeline(incident):
    return list(
        TimelineEntry.objects.filter(subject_type="incident", subject_id=incident.pk).values_list("kind", flat=True)
    )


def _audit(incident, field):
    return list(
        AuditRecord.objects.filter(subject_type="incident", subject_id=incident.pk, field=field).values_list(
            "old_value", "new_value"
        )
    )


def test_open_computes_priority_from_the_matrix(agent, requester):
    incident = open_incident(actor=agent, caller=requester, title="ERP down", impact=Level.HIGH, urgency=Level.HIGH)

    assert (incident.priority, incident.state, incident.number) == (1, IncidentState.NEW, f"INC{incident.pk:07d}")
    assert _timeline(incident) == [EntryKind.OPENED]


def test_the_matrix_is_configurable(agent, requester):
    PriorityRule.objects.filter(impact=Level.LOW, urgency=Level.LOW).update(priority=4)

    incident = open_incident(actor=agent, caller=requester, title="Mouse squeaks")

    assert incident.priority == 4


def test_open_refuses_a_blank_title(agent, requester):
    with pytest.raises(InvalidInput, match="short title"):
        open_incident(actor=agent, caller=requester, title="   ")
    assert Incident.objects.count() == 0


def test_open_refuses_a_subcategory_of_another_category(agent, requester):
    network = Category.objects.create(name="Network")
    hardware = Category.objects.create(name="Hardware")
    printer = Category.objects.create(name="Printer", parent=hardware)

    with pytest.raises(InvalidInput, match="does not belong"):
        open_incident(actor=agent, caller=requester, title="x", category=network, subcategory=printer)


def test_requester_reports_only_for_themselves(requester, other_requester):
    with pytest.raises(NotAllowed):
        open_incident(actor=requester, caller=other_requester, title="Someone else's laptop")

    own = open_incident(actor=requester, caller=requester, title="My laptop will not boot")
    assert own.opened_by == requester


def test_requester_cannot_assign_what_they_report(requester, service_desk):
    with pytest.raises(NotAllowed, match="assigns"):
        open_incident(actor=requester, caller=requester, title="VPN", assignment_group=service_desk)


def test_update_recomputes_priority_and_audits_each_field(incident, agent):
    update_incident(incident, actor=agent, changes={"impact": Level.HIGH, "title": "Outlook down for the whole floor"})

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.priority, stored.version) == (1, 2)
    assert _audit(incident, "priority") == [("2", "1")]
    assert _audit(incident, "impact") == [("2", "1")]
    assert _timeline(incident)[-1] == EntryKind.UPDATED


def test_update_with_nothing_changed_is_a_no_op(incident, agent):
    update_incident(incident, actor=agent, changes={"title": incident.title})

    assert Incident.objects.get(pk=incident.pk).version == 1
    assert _timeline(incident) == [EntryKind.OPENED]


def test_update_with_a_stale_version_changes_nothing(incident, agent):
    update_incident(incident, actor=agent, changes={"title": "First edit"}, if_match=IfMatch.version(1))

    with pytest.raises(StaleVersion, match='changed since you read it: its ETag is now "2"'):
        update_incident(incident, actor=agent, changes={"title": "Second edit"}, if_match=IfMatch.version(1))

    assert Incident.objects.get(pk=incident.pk).title == "First edit"


def test_assigning_a_new_incident_moves_it_to_assigned(incident, agent, service_desk):
    assign_incident(incident, actor=agent, group=service_desk, assignee=agent)

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.state, stored.assignee, stored.reassignment_count) == (IncidentState.ASSIGNED, agent, 0)
    # Putting it in a queue tells the caller nothing: not a response (SLA-SEMANTICS §2).
    assert stored.first_response_at is None
    assert _timeline(incident)[-2:] == [EntryKind.ASSIGNED, EntryKind.STATE_CHANGED]


def test_moving_between_groups_counts_reassignments(incident, agent, service_desk, network_team, incident_manager):
    assign_incident(incident, actor=agent, group=service_desk)
    assign_incident(incident, actor=agent, group=network_team)
    assign_incident(incident, actor=incident_manager, group=service_desk)

    assert Incident.objects.get(pk=incident.pk).reassignment_count == 2


def test_assignee_must_belong_to_the_group(incident, agent, network_team):
    with pytest.raises(InvalidInput, match="not a member"):
        assign_incident(incident, actor=agent, group=network_team, assignee=agent)


def test_starting_work_takes_the_incident(incident, agent, service_desk):
    assign_incident(incident, actor=agent, group=service_desk)

    transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)

    assert Incident.objects.get(pk=incident.pk).assignee == agent


def test_hold_needs_a_reason_and_resume_clears_it(agent, requester, service_desk):
    incident = open_in_progress(agent, requester, service_desk)
    with pytest.raises(MissingField) as missing:
        transition_incident(incident, IncidentState.ON_HOLD, actor=agent)
    assert missing.value.field == "hold_reason"

    transition_incident(incident, IncidentState.ON_HOLD, actor=agent, hold_reason=HoldReason.AWAITING_VENDOR)
    transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)

    assert Incident.objects.get(pk=incident.pk).hold_reason == ""


def test_resolve_needs_a_code_and_stamps_resolution(agent, requester, service_desk):
    incident = open_in_progress(agent, requester, service_desk)
    with pytest.raises(MissingField) as missing:
        transition_incident(incident, IncidentState.RESOLVED, actor=agent)
    assert missing.value.field == "resolution_code"

    resolve_incident(incident, actor=agent, code=ResolutionCode.SOLVED_REMOTELY, notes="Cleared the mail profile")

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.state, stored.resolved_by, stored.resolution_notes) == (
        IncidentState.RESOLVED,
        agent,
        "Cleared the mail profile",
    )
    assert stored.resolved_at is not None


def test_resolving_twice_is_a_conflict_that_applies_nothing(agent, requester, service_desk):
    incident = open_resolved(agent, requester, service_desk)
    stored = Incident.objects.get(pk=incident.pk)

    with pytest.raises(Conflict, match="already resolved; nothing was applied"):
        resolve_incident(incident, actor=agent, code=ResolutionCode.SOLVED_REMOTELY, notes="Another fix")

    after = Incident.objects.get(pk=incident.pk)
    assert (after.version, after.resolution_notes, after.resolution_code) == (
        stored.version,
        stored.resolution_notes,
        stored.resolution_code,
    )


def test_first_contact_resolution_when_the_opening_agent_resolves_without_reassignment(agent, requester, service_desk):
    incident = open_in_progress(agent, requester, service_desk)

    resolve_incident(incident, actor=agent, code=ResolutionCode.SOLVED_REMOTELY)

    assert Incident.objects.get(pk=incident.pk).first_contact_resolution is True


def test_no_first_contact_resolution_after_reassignment(agent, requester, service_desk, network_team, resolver):
    incident = open_in_progress(agent, requester, service_desk)
    assign_incident(incident, actor=agent, group=network_team)

    resolve_incident(incident, actor=resolver, code=ResolutionCode.SOLVED_REMOTELY)

    assert Incident.objects.get(pk=incident.pk).first_contact_resolution is False


def test_reopen_needs_a_note_and_counts(agent, requester, service_desk):
    incident = open_resolved(agent, requester, service_desk)
    with pytest.raises(MissingField) as missing:
        reopen_incident(incident, actor=requester, note=" ")
    assert missing.value.field == "note"

    reopen_incident(incident, actor=requester, note="Still cannot print")

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.state, stored.reopen_count, stored.resolved_at, stored.resolution_code) == (
        IncidentState.IN_PROGRESS,
        1,
        None,
        "",
    )


def test_only_the_caller_confirms(agent, requester, service_desk, incident_manager):
    incident = open_resolved(agent, requester, service_desk)

    with pytest.raises(NotAllowed, match="caller"):
        transition_incident(incident, IncidentState.CLOSED, actor=incident_manager)

    transition_incident(incident, IncidentState.CLOSED, actor=requester)
    assert Incident.objects.get(pk=incident.pk).closed_at is not None


def test_closed_incidents_cannot_be_edited(agent, requester, service_desk):
    incident = open_resolved(agent, requester, service_desk)
    transition_incident(incident, IncidentState.CLOSED, actor=requester)

    with pytest.raises(Conflict, match="no longer be edited"):
        update_incident(incident, actor=agent, changes={"title": "Too late"})


def test_resolver_outside_the_group_cannot_work_it(agent, requester, service_desk, outsider_resolver):
    incident = open_in_progress(agent, requester, service_desk)

    with pytest.raises(NotAllowed):
        transition_incident(
            incident, IncidentState.RESOLVED, actor=outsider_resolver, resolution_code=ResolutionCode.DUPLICATE
        )
    with pytest.raises(NotAllowed):
        update_incident(incident, actor=outsider_resolver, changes={"title": "Mine now"})


def test_group_member_works_its_queue(agent, requester, network_team, resolver):
    incident = open_incident(actor=agent, caller=requester, title="Switch port flapping", assignment_group=network_team)

    transition_incident(incident, IncidentState.IN_PROGRESS, actor=resolver)

    assert Incident.objects.get(pk=incident.pk).assignee == resolver


def test_auto_close_closes_only_stale_resolutions(agent, requester, service_desk):
    with clock.frozen_at(clock.now() - timedelta(days=10)):
        stale = open_resolved(agent, requester, service_desk)
    fresh = open_resolved(agent, requester, service_desk)

    closed = close_stale_resolved_incidents(older_than=timedelta(days=7))

    assert closed == 1
    assert Incident.objects.get(pk=stale.pk).state == IncidentState.CLOSED
    assert Incident.objects.get(pk=fresh.pk).state == IncidentState.RESOLVED
    assert TimelineEntry.objects.filter(subject_id=stale.pk, kind=EntryKind.STATE_CHANGED, actor=None).count() == 1


def test_work_notes_are_for_staff_only(incident, requester):
    with pytest.raises(NotAllowed, match="work notes"):
        add_comment(incident, actor=requester, body="psst", public=False)


def test_starting_work_is_the_first_response(incident, agent, service_desk):
    assign_incident(incident, actor=agent, group=service_desk)
    transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)

    assert Incident.objects.get(pk=incident.pk).first_response_at == incident.updated_at


def test_first_public_staff_comment_is_the_first_response(incident, agent):
    add_comment(incident, actor=agent, body="Looking into it", public=True)

    assert Incident.objects.get(pk=incident.pk).first_response_at is not None


def test_caller_reply_resumes_an_incident_awaiting_them(agent, requester, service_desk):
    incident = open_in_progress(agent, requester, service_desk)
    transition_incident(incident, IncidentState.ON_HOLD, actor=agent, hold_reason=HoldReason.AWAITING_CALLER)

    add_comment(incident, actor=requester, body="It happens every morning at 9", public=True)

    assert Incident.objects.get(pk=incident.pk).state == IncidentState.IN_PROGRESS


def test_caller_reply_does_not_resume_a_vendor_hold(agent, requester, service_desk):
    incident = open_on_hold(agent, requester, service_desk)

    add_comment(incident, actor=requester, body="Any news?", public=True)

    assert Incident.objects.get(pk=incident.pk).state == IncidentState.ON_HOLD


def test_attachments_within_limits_are_kept(incident, agent, settings):
    settings.KEEL_ATTACHMENT_MAX_BYTES = 10

    with pytest.raises(InvalidInput, match="at most 10 bytes"):
        attach_file(incident, actor=agent, upload=SimpleUploadedFile("log.txt", b"x" * 11, "text/plain"))
    with pytest.raises(InvalidInput, match="allowed types"):
        attach_file(incident, actor=agent, upload=SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream"))

    attachment = attach_file(incident, actor=agent, upload=SimpleUploadedFile("log.txt", b"ok", "text/plain"))
    assert attachment.size == 2
    assert _timeline(incident)[-1] == EntryKind.ATTACHMENT


def test_watchers_see_the_incident(incident, agent, other_requester):
    assert not incidents_visible_to(other_requester).filter(pk=incident.pk).exists()

    add_watcher(incident, actor=agent, watcher=other_requester)

    assert incidents_visible_to(other_requester).filter(pk=incident.pk).exists()


def test_audit_rows_record_who_and_what(incident, agent, service_desk):
    assign_incident(incident, actor=agent, group=service_desk)

    rows = AuditRecord.objects.filter(subject_id=incident.pk).values_list("field", "new_value", "actor")
    assert ("state", "assigned", agent.pk) in list(rows)


@pytest.mark.parametrize(
    "bad",
    [
        {"state": "bogus"},
        {"state": IncidentState.RESOLVED},
        {"state": IncidentState.ON_HOLD},
        {"priority": 9},
        {"closed_at": clock.now()},
    ],
    ids=["unknown-state", "resolved-without-stamp", "hold-without-reason", "priority-range", "closed-at-while-open"],
)
def test_database_backs_the_rules(incident, bad):
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(**bad)


def test_handing_work_in_progress_to_another_group_puts_it_back_in_a_queue(
    agent, requester, service_desk, network_team
):
    incident = open_in_progress(agent, requester, service_desk)

    assign_incident(incident, actor=agent, group=network_team)

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.state, stored.assignment_group, stored.assignee) == (IncidentState.ASSIGNED, network_team, None)


def test_returning_to_the_queue_clears_the_assignee(agent, requester, service_desk):
    incident = open_in_progress(agent, requester, service_desk)

    transition_incident(incident, IncidentState.ASSIGNED, actor=agent, note="Shift ends; next one please")

    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.state, stored.assignee, stored.assignment_group) == (IncidentState.ASSIGNED, None, service_desk)


def test_auto_close_says_it_was_automatic(agent, requester, service_desk):
    with clock.frozen_at(clock.now() - timedelta(days=10)):
        stale = open_resolved(agent, requester, service_desk)

    close_stale_resolved_incidents(older_than=timedelta(days=7))

    last = TimelineEntry.objects.filter(subject_id=stale.pk).last()
    assert last.summary == "Automatically: Resolved → Closed"


def test_a_comment_counts_as_activity_but_not_as_an_edit(incident, requester):
    before = Incident.objects.get(pk=incident.pk)

    add_comment(incident, actor=requester, body="Any news?", public=True)

    after = Incident.objects.get(pk=incident.pk)
    assert after.updated_at > before.updated_at
    assert after.version == before.version


def test_adding_a_watcher_is_recorded_once(incident, agent, other_requester):
    add_watcher(incident, actor=agent, watcher=other_requester)
    add_watcher(incident, actor=agent, watcher=other_requester)

    assert _audit(incident, "watchers") == [("", "+Otto")]


def test_opening_an_incident_is_audited_with_who_and_through_which_door(agent, requester):
    incident = open_incident(actor=agent, caller=requester, title="Mail down")

    row = AuditRecord.objects.get(subject_type="incident", subject_id=incident.pk, field="created")
    assert (row.old_value, row.new_value, row.actor_id, row.channel) == ("", str(incident), agent.pk, Door.SYSTEM)


def test_comments_and_work_notes_are_audited(incident, agent, requester):
    comment = add_comment(incident, actor=requester, body="Any news?", public=True)
    note = add_comment(incident, actor=agent, body="Vendor ticket 4711", public=False)

    assert _audit(incident, "comment") == [("", f"Comment by Rita (#{comment.pk})")]
    assert _audit(incident, "work_note") == [("", f"Work note by Alice (#{note.pk})")]


def test_an_attachment_is_audited_with_its_file(incident, agent):
    attachment = attach_file(incident, actor=agent, upload=SimpleUploadedFile("trace.txt", b"ping timeout"))

    assert _audit(incident, "attachment") == [("", f"trace.txt (#{attachment.pk})")]
