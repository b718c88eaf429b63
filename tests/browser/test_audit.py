"""The audit trail in real Chromium, for an administrator: filtered in place by htmx, one card per
change on a phone, nothing sticking out sideways, no serious accessibility problem, a CSV download."""

import re

import pytest

from keel.cmdb.actions.records import create_ci, update_ci
from keel.lib.doors import Door, entering
from tests.browser.conftest import needs_chromium
from tests.browser.test_alerts import fits
from tests.browser.test_console import axe_problems, sign_in

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def changes(admin_user, config_manager, ci_types):
    with entering(Door.API):
        ci = create_ci(actor=config_manager, name="payments-db", ci_type=ci_types["database"])
    description = "Primary database of the payment service, replicated to the second data centre. " * 3
    with entering(Door.CONSOLE):
        update_ci(ci, actor=admin_user, changes={"criticality": 1, "description": description})
    return ci


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_administrator_reads_and_filters_the_trail(open_page, changes, viewport):
    page = open_page(viewport)
    sign_in(page, "root")

    page.get_by_role("link", name="Audit", exact=True).first.click()
    page.wait_for_url(re.compile(r"/audit/$"))
    page.locator(".queue.audit tbody tr").first.wait_for()
    assert fits(page, viewport)
    assert axe_problems(page) == []

    page.get_by_label("Record type", exact=True).fill("ci")
    page.get_by_label("Record id", exact=True).fill(str(changes.pk))
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("Showing 1–3 of 3 changes").wait_for()
    page.get_by_label("Door", exact=True).select_option(label="API")
    page.get_by_text("Showing 1–1 of 1 changes").wait_for()  # swapped in place by htmx
    assert "door=api" in page.url
    assert page.locator(".queue.audit tbody tr").count() == 1
    assert fits(page, viewport)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    lines = download.value.path().read_text().splitlines()
    assert lines[0] == "at,actor,door,subject_type,subject_id,field,old_value,new_value"
    assert [line.split(",")[2] for line in lines[1:]] == ["api"]
