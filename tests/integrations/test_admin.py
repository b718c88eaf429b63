"""Monitoring in the Django admin, opened to those who manage integrations: sources (no secret field;
added or rotated through the actions, the URL shown once), correlation rules through create_rule and update_rule,
maintenance windows through their actions; what the tools sent is read-only; nothing is deleted."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keel.accounts.models import User
from keel.audit.models import AuditRecord
from keel.integrations.actions.sources import IssuedSecret
from keel.integrations.actions.windows import create_maintenance_window
from keel.integrations.models import Alert, CorrelationRule, MaintenanceWindow, Source
from keel.lib.clock import frozen_at
from tests.integrations.conftest import Sender, captured, signed_in

pytestmark = pytest.mark.django_db

FIRING = captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")["json"]
NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
MODELS = ["source", "correlationrule", "maintenancewindow", "alert", "payload", "changeevent"]
CHANGE_LISTS = [f"/admin/integrations/{model}/" for model in MODELS]


def source_form(**fields: Any) -> dict[str, Any]:
    return {
        "name": "prod-am",
        "kind": "alertmanager",
        "description": "",
        "mapping": "{}",
        "identity_labels": "[]",
        "expire_after_s": "0",
        "assignment_group": "",
        **fields,
    }


def rule_form(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Payments",
        "position": "50",
        "is_active": "on",
        "source": "",
        "severities": '["critical"]',
        "matchers": "[]",
        "opens_incident": "on",
        "min_occurrences": "1",
        "min_firing_s": "0",
        "group_by": "service",
        "group_labels": "[]",
        "window_s": "3600",
        "on_all_resolved": "resolve",
        "on_refire": "reopen",
        "assignment_group": "",
        **fields,
    }


def window_form(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Upgrade",
        "starts_at_0": "2026-11-27",
        "starts_at_1": "13:00:00",
        "ends_at_0": "2026-11-27",
        "ends_at_1": "15:00:00",
        "matchers": '[{"label": "env", "value": "prod"}]',
        "ci": "",
        "service": "",
        "reason": "",
        **fields,
    }


def issued(html: str, what: str) -> list[str]:
    return re.findall(rf'data-issued="{what}">([^<]+)<', html)


@pytest.mark.parametrize("role", ["incident_manager", "admin_user"])
def test_those_who_manage_integrations_get_its_admin(request: pytest.FixtureRequest, role: str) -> None:
    client = signed_in(request.getfixturevalue(role))

    index = client.get("/admin/").content.decode()

    assert "Maintenance windows" in index
    assert "Correlation rules" in index
    assert {client.get(path).status_code for path in CHANGE_LISTS} == {200}


@pytest.mark.parametrize("role", ["config_manager", "agent", "resolver", "requester"])
def test_others_do_not(request: pytest.FixtureRequest, role: str) -> None:
    client = signed_in(request.getfixturevalue(role))

    statuses = {client.get(path).status_code for path in CHANGE_LISTS}

    assert statuses <= {302, 403}


def test_adding_a_source_shows_its_url_once_and_it_works(incident_manager: User, sender: Sender) -> None:
    client = signed_in(incident_manager)

    form = client.get("/admin/integrations/source/add/").content.decode()
    response = client.post("/admin/integrations/source/add/", source_form(description="EU"))

    html = response.content.decode()
    source = Source.objects.get()
    (url,), (secret,) = issued(html, "url"), issued(html, "secret")
    assert 'name="token_hash"' not in form
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert url == f"http://127.0.0.1:8000/integrations/alertmanager/{secret}"
    assert (source.name, source.description, source.created_by) == ("prod-am", "EU", incident_manager)
    assert sender.post(url, FIRING).status_code == 202
    assert secret not in client.get(f"/admin/integrations/source/{source.pk}/change/").content.decode()


def test_a_source_the_action_would_refuse_is_refused_by_the_form(incident_manager: User) -> None:
    client = signed_in(incident_manager)

    generic = client.post("/admin/integrations/source/add/", source_form(kind="generic"))
    labels = client.post("/admin/integrations/source/add/", source_form(identity_labels='"alertname"'))

    assert "The field mapping needs &#x27;summary&#x27;" in generic.content.decode()
    assert "identity_labels must be a list of label names" in labels.content.decode()
    assert not Source.objects.exists()


def test_changing_a_source_goes_through_update_source_and_is_audited(
    incident_manager: User, sources: dict[str, IssuedSecret]
) -> None:
    source = sources["grafana"].source
    client = signed_in(incident_manager)

    response = client.post(
        f"/admin/integrations/source/{source.pk}/change/",
        source_form(name="grafana", kind="alertmanager", mapping='{"summary": "title"}', expire_after_s="60"),
    )

    stored = Source.objects.get(pk=source.pk)
    assert response.status_code == 302
    assert (stored.kind, stored.mapping, stored.expire_after_s) == ("generic", {"summary": "title"}, 60)
    assert AuditRecord.objects.filter(subject_type="source", subject_id=source.pk, field="mapping").exists()
    assert AuditRecord.objects.get(subject_type="source", subject_id=source.pk, field="expire_after_s").actor == (
        incident_manager
    )


def test_rotating_from_the_list_shows_the_new_urls_once(
    incident_manager: User, sources: dict[str, IssuedSecret], sender: Sender
) -> None:
    chosen = [sources["alertmanager"].source.pk, sources["pagerduty"].source.pk]

    response = signed_in(incident_manager).post(
        "/admin/integrations/source/", {"action": "rotate_secrets", "_selected_action": chosen}
    )

    html = response.content.decode()
    assert issued(html, "url")[0] == "http://127.0.0.1:8000/integrations/pagerduty"  # ci-runner sorts first
    assert sender.post(sources["alertmanager"].url, FIRING).status_code == 401
    assert sender.post(issued(html, "url")[1], FIRING).status_code == 202
    assert len(issued(html, "secret")[0]) == 32


def test_revoking_from_the_list(incident_manager: User, sources: dict[str, IssuedSecret], sender: Sender) -> None:
    response = signed_in(incident_manager).post(
        "/admin/integrations/source/",
        {"action": "revoke_sources", "_selected_action": [sources["alertmanager"].source.pk]},
        follow=True,
    )

    assert "Revoked prod-alertmanager" in response.content.decode()
    assert sender.post(sources["alertmanager"].url, FIRING).status_code == 401


def test_nothing_is_deleted_from_the_admin(incident_manager: User, sources: dict[str, IssuedSecret]) -> None:
    client = signed_in(incident_manager)
    source = sources["alertmanager"].source

    assert client.get(f"/admin/integrations/source/{source.pk}/delete/").status_code == 403
    assert client.post(f"/admin/integrations/source/{source.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Source.objects.filter(pk=source.pk).exists()


def test_rules_are_saved_through_create_rule_and_update_rule(incident_manager: User) -> None:
    client = signed_in(incident_manager)

    bad = client.post("/admin/integrations/correlationrule/add/", rule_form(severities='["urgent"]'))
    good = client.post("/admin/integrations/correlationrule/add/", rule_form(name="  Payments   pages "))

    assert "severities must be a list of critical, error, warning, info." in bad.content.decode()
    assert good.status_code == 302
    rule = CorrelationRule.objects.get(position=50)
    assert (rule.name, rule.severities) == ("Payments pages", ["critical"])


def test_a_rule_with_a_bad_matcher_says_which(incident_manager: User) -> None:
    response = signed_in(incident_manager).post(
        "/admin/integrations/correlationrule/add/", rule_form(matchers='[{"label": "x", "op": "~"}]')
    )

    assert "matchers[0]: &quot;op&quot; must be one of =, !=, =~, !~" in response.content.decode()
    assert CorrelationRule.objects.count() == 3


def test_windows_are_planned_and_ended_through_their_actions(incident_manager: User) -> None:
    client = signed_in(incident_manager)

    refused = client.post("/admin/integrations/maintenancewindow/add/", window_form(matchers="[]"))
    added = client.post("/admin/integrations/maintenancewindow/add/", window_form())
    window = MaintenanceWindow.objects.get()
    with frozen_at(NOW):
        ended = client.post(
            "/admin/integrations/maintenancewindow/",
            {"action": "end_windows", "_selected_action": [window.pk]},
            follow=True,
        )

    window.refresh_from_db()
    assert "Say what the window covers" in refused.content.decode()
    assert added.status_code == 302
    assert (window.created_by, window.matchers) == (incident_manager, [{"label": "env", "op": "=", "value": "prod"}])
    assert "Ended Upgrade" in ended.content.decode()
    assert window.ends_at == NOW


def test_changing_a_window_checks_its_times(incident_manager: User) -> None:
    window = create_maintenance_window(
        actor=None, name="Upgrade", starts_at=NOW, ends_at=NOW + timedelta(hours=2), matchers=[{"label": "a"}]
    )

    response = signed_in(incident_manager).post(
        f"/admin/integrations/maintenancewindow/{window.pk}/change/", window_form(ends_at_1="12:00:00")
    )

    assert "The window must end after it starts." in response.content.decode()
    assert MaintenanceWindow.objects.get().ends_at == NOW + timedelta(hours=2)


def test_what_monitoring_sent_is_read_only(incident_manager: User, disk_full: dict[str, Alert]) -> None:
    client = signed_in(incident_manager)
    alert = disk_full["db1"]

    page = client.get(f"/admin/integrations/alert/{alert.pk}/change/")
    posted = client.post(f"/admin/integrations/alert/{alert.pk}/change/", {"summary": "Changed"})

    assert page.status_code == 200
    assert "Opened an incident" in page.content.decode()
    assert 'name="summary"' not in page.content.decode()
    assert posted.status_code == 403
    assert client.get("/admin/integrations/payload/add/").status_code == 403
    assert Alert.objects.get(pk=alert.pk).summary == "Disk full on db1"
