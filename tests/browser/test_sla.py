"""The SLA panel in real Chromium on a phone: time left, a bar, and the history that explains it."""

import os

import pytest

from keel.incidents.actions.records import open_incident
from keel.incidents.states import Level
from keel.sla.actions.setup import create_calendar, create_policy
from tests.browser.conftest import needs_chromium
from tests.browser.test_console import axe_problems, sign_in

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

ALWAYS = [
    {"weekday": day, "opens": "00:00", "closes": "00:00"} for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
]


def test_the_record_shows_the_sla_panel_on_a_phone(open_page, agent, requester):
    calendar = create_calendar(actor=None, fields={"name": "24×7", "zone": "UTC", "windows": ALWAYS})
    create_policy(
        actor=None,
        fields={
            "name": "P1 critical",
            "priority": 1,
            "calendar": calendar,
            "response_target_s": 900,
            "resolution_target_s": 4 * 3600,
        },
    )
    incident = open_incident(
        actor=agent, caller=requester, title="Core switch down", impact=Level.HIGH, urgency=Level.HIGH
    )
    page = open_page("phone")
    sign_in(page, "alice")

    page.goto(f"/incidents/{incident.number}/")

    panel = page.locator("#sla")
    panel.get_by_role("heading", name="SLA").wait_for()
    assert panel.locator(".sla-clock").count() == 2
    assert "left" in panel.locator(".sla-clock--running").first.inner_text()
    assert panel.get_by_role("progressbar").first.is_visible()
    panel.locator("summary", has_text="SLA history").click()
    assert panel.get_by_role("cell", name="Started — target 4 h (P1 critical)").is_visible()
    box = panel.bounding_box()
    assert box is not None and box["width"] <= 390
    if os.environ.get("KEEL_SCREENSHOTS"):
        page.screenshot(path=os.environ["KEEL_SCREENSHOTS"] + "/sla-phone.png", full_page=True)
    assert axe_problems(page) == []
