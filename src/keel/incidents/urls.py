"""The agent console's addresses. Numbers are case-insensitive: /incidents/inc0000042/ works too."""

from django.urls import path, register_converter

from keel.incidents.views import detail, editing, escalation, lookups, oncall, queue, routing, workflow


class IncidentNumberConverter:
    regex = "[Ii][Nn][Cc][0-9]{1,12}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


register_converter(IncidentNumberConverter, "incident")

app_name = "incidents"
urlpatterns = [
    path("", queue.queue, name="queue"),
    path("new/", editing.create, name="new"),
    path("priority/", lookups.priority_preview, name="priority-preview"),
    path("callers/", lookups.callers, name="callers"),
    path("ci-context/", lookups.ci_context, name="ci-context"),
    path("<incident:number>/", detail.incident_detail, name="detail"),
    path("<incident:number>/edit/", editing.edit, name="edit"),
    path("<incident:number>/transition/", workflow.transition, name="transition"),
    path("<incident:number>/assign/", workflow.assign, name="assign"),
    path("<incident:number>/escalate/", workflow.escalate, name="escalate"),
    path("<incident:number>/reroute/", workflow.reroute, name="reroute"),
    path("<incident:number>/escalate-to-manager/", workflow.escalate_manager, name="escalate-manager"),
    path("<incident:number>/acknowledge/", workflow.acknowledge, name="acknowledge"),
    path("<incident:number>/comment/", workflow.comment, name="comment"),
    path("<incident:number>/attach/", workflow.attach, name="attach"),
    path("<incident:number>/attachments/<int:attachment_id>/", detail.attachment_download, name="attachment"),
]

# Mounted at /routing/ (config/urls.py): routing rules and their tester.
routing_patterns = [
    path("", routing.rule_list, name="rules"),
    path("new/", routing.rule_new, name="new"),
    path("test/", routing.rule_test, name="test"),
    path("<int:pk>/edit/", routing.rule_edit, name="edit"),
    path("<int:pk>/delete/", routing.rule_delete, name="delete"),
    path("groups/<int:team_id>/", routing.group_strategy, name="group"),
    path("escalation/", escalation.policy_list, name="policies"),
    path("escalation/new/", escalation.policy_new, name="policy-new"),
    path("escalation/<int:pk>/edit/", escalation.policy_edit, name="policy-edit"),
    path("escalation/<int:pk>/delete/", escalation.policy_delete, name="policy-delete"),
]

# Mounted at /oncall/ (config/urls.py): on-call schedules, their layers and overrides, and feeds.
oncall_patterns = [
    path("", oncall.schedule_list, name="schedules"),
    path("new/", oncall.schedule_new, name="schedule_new"),
    path("<int:pk>/", oncall.schedule_detail, name="schedule"),
    path("<int:pk>/edit/", oncall.schedule_edit, name="schedule_edit"),
    path("<int:pk>/delete/", oncall.schedule_delete, name="schedule_delete"),
    path("<int:pk>/layers/new/", oncall.layer_new, name="layer_new"),
    path("layers/<int:pk>/edit/", oncall.layer_edit, name="layer_edit"),
    path("layers/<int:pk>/delete/", oncall.layer_delete, name="layer_delete"),
    path("<int:pk>/overrides/new/", oncall.override_new, name="override_new"),
    path("overrides/<int:pk>/edit/", oncall.override_edit, name="override_edit"),
    path("overrides/<int:pk>/delete/", oncall.override_delete, name="override_delete"),
    path("people/<str:username>.ics", oncall.person_feed, name="feed"),
]
