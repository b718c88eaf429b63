"""Monitoring in real Chromium, at desktop and phone sizes: an incident manager adds an Alertmanager
source, sees its URL once, sends a test event, and (once the intake has processed it) finds the
alert in the list, opens it and acknowledges it. Every page is axe-clean and fits a 390 px phone."""

import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from keel.incidents.models import number_for
from keel.integrations.actions.intake import receive_for
from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.rules import create_rule
from keel.integrations.actions.sources import create_source
from keel.integrations.actions.windows import create_maintenance_window
from keel.integrations.models import Alert, Source
from keel.lib import clock
from tests.browser.conftest import needs_chromium
from tests.browser.test_console import axe_problems, sign_in
from tests.integrations.conftest import captured

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

FIRING = captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")["json"]


def fits(page, viewport):
    """Nothing sticks out sideways: the page is no wider than the window."""
    return page.evaluate("document.documentElement.scrollWidth") <= {"desktop": 1280, "phone": 390}[viewport]


def shoot(page, folder, name):
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.fixture
def screenshots(tmp_path):
    folder = Path(os.environ.get("KEEL_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_manager_adds_a_source_sends_a_test_event_and_opens_its_alert(
    open_page, incident_manager, screenshots, viewport
):
    page = open_page(viewport)
    sign_in(page, "imogen")

    page.get_by_role("link", name="Alerts", exact=True).first.click()
    page.wait_for_url(re.compile(r"/alerts/$"))
    page.get_by_role("navigation", name="Monitoring").get_by_role("link", name="Sources").click()
    page.get_by_role("link", name="Add a source").click()
    page.get_by_label("Name", exact=True).fill("prod-alertmanager")
    page.get_by_label("Sends as", exact=True).select_option(label="Prometheus Alertmanager (webhook)")
    assert fits(page, viewport)
    assert axe_problems(page) == []
    shoot(page, screenshots, f"source-new-{viewport}")
    page.get_by_role("button", name="Add the source").click()

    # The URL, shown this once.
    page.get_by_role("heading", name="Added prod-alertmanager").wait_for()
    url = page.locator("[data-issued='url']").inner_text()
    source = Source.objects.get()
    assert re.fullmatch(rf"http://127\.0\.0\.1:8000/integrations/alertmanager/{source.token_prefix}\S+", url)
    assert page.get_by_text("Copy it now.").is_visible()
    assert fits(page, viewport)
    assert axe_problems(page) == []
    shoot(page, screenshots, f"source-issued-{viewport}")

    page.get_by_role("link", name="Go to prod-alertmanager").click()
    page.get_by_role("heading", name="prod-alertmanager").wait_for()
    assert url not in page.content()
    page.get_by_role("button", name="Send test event").click()
    page.get_by_text("Sent a test event as prod-alertmanager").wait_for()
    assert page.locator("[data-payload]").count() == 1
    assert fits(page, viewport)
    assert axe_problems(page) == []
    shoot(page, screenshots, f"source-{viewport}")

    # What keel worker's pump does in the background, here at once.
    assert process_pending().alerts == 1

    page.get_by_role("link", name="Alerts", exact=True).first.click()
    row = page.locator("[data-alert]", has_text="Test event from Keel for prod-alertmanager")
    row.wait_for()
    assert "Info" in row.inner_text()
    assert "Firing" in row.inner_text()
    assert fits(page, viewport)
    assert axe_problems(page) == []
    shoot(page, screenshots, f"alerts-{viewport}")

    row.get_by_role("link", name="Test event from Keel for prod-alertmanager").click()
    page.get_by_role("heading", name="Test event from Keel for prod-alertmanager", level=1).wait_for()
    assert page.get_by_role("cell", name="KeelTestEvent").is_visible()
    assert fits(page, viewport)
    assert axe_problems(page) == []
    shoot(page, screenshots, f"alert-{viewport}")

    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("Acknowledged: the alert shows that someone is on it.").wait_for()
    assert Alert.objects.get().status == "acknowledged"
    assert page.locator(".record-header .badge--alert-acknowledged").inner_text() == "Acknowledged"


def test_the_alert_list_filters_without_javascript(open_page, agent):
    source = create_source(actor=None, name="webhook", kind="generic", mapping={"summary": "title"}).source
    receive_for(source, body=b'[{"title": "Disk full on db1"}, {"title": "CPU hot on web1"}]')
    process_pending()
    page = open_page("desktop", javascript=False)
    sign_in(page, "alice")
    page.goto("/alerts/")

    page.get_by_label("Summary contains").fill("disk")
    page.get_by_role("button", name="Apply").click()

    page.wait_for_url(re.compile(r"q=disk"))
    assert page.locator("[data-alert]").count() == 1
    assert "Disk full on db1" in page.locator("[data-alert]").inner_text()


@pytest.fixture
def storm_incident():
    """A critical alert that opened an incident, a running maintenance window, a source: something on every page."""
    source = create_source(actor=None, name="prod-alertmanager", kind="alertmanager").source
    # A transactional test's flush also empties the rules the migrations seeded: state the one needed.
    create_rule(
        actor=None, fields={"name": "Critical alerts open an incident", "position": 1, "severities": ["critical"]}
    )
    now = clock.now()
    create_maintenance_window(
        actor=None,
        name="Database upgrade",
        starts_at=now,
        ends_at=now + timedelta(hours=2),
        matchers=[{"label": "instance", "op": "=~", "value": "db.*"}],
    )
    receive_for(source, body=json.dumps(FIRING).encode())
    process_pending()
    return Alert.objects.get()


@pytest.mark.parametrize(
    "path",
    [
        "/alerts/",
        "/alerts/{alert}/",
        "/incidents/{incident}/",
        "/integrations/sources/",
        "/integrations/sources/new/",
        "/integrations/maintenance/",
        "/integrations/maintenance/new/",
        "/integrations/changes/",
    ],
)
def test_no_serious_accessibility_problems_on_monitoring_pages(
    open_page, incident_manager, storm_incident, screenshots, path
):
    page = open_page("phone")
    sign_in(page, "imogen")

    page.goto(path.format(alert=storm_incident.pk, incident=number_for(storm_incident.incident_id)))

    assert fits(page, "phone")
    assert axe_problems(page) == []
    shoot(page, screenshots, "phone" + re.sub(r"[/{}]+", "-", path).rstrip("-"))
