"""The CMDB in real Chromium: the impact graph of a CI, the CI context panel on the incident form, and a
configuration manager importing CSV files in the console."""

import re

import pytest

from keel.activity.models import EntryKind, TimelineEntry
from keel.cmdb.actions.records import create_service
from keel.cmdb.actions.relationships import relate
from keel.cmdb.models import ConfigurationItem, Relationship
from keel.incidents.models import Incident
from keel.incidents.states import Level
from tests.browser.conftest import needs_chromium
from tests.browser.test_console import axe_problems, sign_in

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(build_graph):
    """Online shop (critical, 25,000 users) → checkout-api ⇄ fraud-check → payments-db → storage-cluster."""
    graph = build_graph(
        [
            "checkout-api depends_on payments-db",
            "checkout-api depends_on fraud-check",
            "fraud-check depends_on checkout-api",
            "payments-db depends_on storage-cluster",
            "disk-01 part_of storage-cluster",
        ]
    )
    service = create_service(actor=None, name="Online shop", users=25_000, criticality=1)
    relate(actor=None, source=service.ci, target=graph["checkout-api"], kind="depends_on")
    return graph


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_impact_graph_of_a_ci(open_page, agent, shop, viewport):
    page = open_page(viewport)
    sign_in(page, "alice")

    page.get_by_role("link", name="CMDB").click()
    page.get_by_label("Name or alias").fill("storage")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="storage-cluster", exact=True).click()
    page.get_by_role("link", name="What breaks if it fails").click()
    page.wait_for_url(re.compile(r"/cmdb/cis/\d+/impact/"))

    layers = page.locator(".impact-layer")
    assert page.get_by_role("heading", name="What breaks if storage-cluster fails").is_visible()
    assert layers.count() == 4
    assert layers.nth(1).locator("[data-ci]").all_inner_texts()[0].startswith("payments-db")
    assert layers.nth(3).locator("[data-ci='Online shop']").is_visible()
    assert page.locator("[data-ci='fraud-check'] .impact-node__loop").inner_text() == "↻ leads back to checkout-api"
    assert "Online shop (25,000 users)" in page.locator(".impact-summary").inner_text()
    first, second = layers.nth(0).bounding_box(), layers.nth(1).bounding_box()
    # Desktop: steps side by side; phone: one under the other.
    assert (second["x"] > first["x"]) if viewport == "desktop" else (second["y"] > first["y"])
    assert axe_problems(page) == []

    # The depth limit stops the walk.
    page.get_by_label("Steps").select_option("2")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"depth=2"))
    assert page.locator(".impact-layer").count() == 3


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_context_panel_proposes_the_impact_and_the_decision_is_on_the_timeline(
    open_page, agent, requester, shop, viewport
):
    page = open_page(viewport)
    sign_in(page, "alice")
    page.goto("/incidents/new/")

    page.get_by_label("Caller", exact=True).fill("rita")
    page.get_by_label("Title", exact=True).fill("Payments time out")
    page.get_by_label("Configuration item", exact=True).fill("payments-db")
    panel = page.locator("#ci-context .ci-context")
    panel.wait_for()
    assert "Keel proposes High impact" in panel.inner_text()
    assert "Online shop" in panel.locator("table").inner_text()
    assert "25,000" in panel.inner_text()
    assert page.get_by_role("button", name="Show what depends on this CI").is_hidden()

    page.get_by_role("button", name="Use high impact").click()
    assert page.get_by_label("Impact", exact=True).input_value() == str(Level.HIGH.value)
    page.locator("#priority-preview", has_text="P3 Moderate").wait_for()
    assert axe_problems(page) == []
    page.get_by_role("button", name="Log incident").click()
    page.wait_for_url(re.compile(r"/incidents/INC\d+/$"))

    assert page.get_by_text("Impact high, as Keel proposed from the CMDB").is_visible()
    incident = Incident.objects.get()
    entry = TimelineEntry.objects.get(subject_id=incident.pk, kind=EntryKind.SYSTEM)
    assert (incident.impact, entry.data["impact_proposal"]["accepted"]) == (Level.HIGH, True)


def test_the_context_panel_works_without_javascript(open_page, agent, requester, shop):
    page = open_page("desktop", javascript=False)
    sign_in(page, "alice")
    page.goto("/incidents/new/")

    page.get_by_label("Caller", exact=True).fill("rita")
    page.get_by_label("Title", exact=True).fill("Disk alarm")
    page.get_by_label("Configuration item", exact=True).fill("disk-01")
    page.get_by_role("button", name="Show what depends on this CI").click()

    assert "Keel proposes High impact" in page.locator(".ci-context").inner_text()
    assert page.get_by_label("Title", exact=True).input_value() == "Disk alarm"
    page.get_by_label("Impact", exact=True).select_option(label="Medium")
    page.get_by_role("button", name="Log incident").click()
    page.wait_for_url(re.compile(r"/incidents/INC\d+/$"))
    assert page.get_by_text("Impact set to medium; Keel proposed high from the CMDB").is_visible()


@pytest.mark.parametrize("path", ["/cmdb/", "/cmdb/hotspots/", "/cmdb/services/", "/cmdb/csv/"])
def test_no_serious_accessibility_problems_on_cmdb_pages(open_page, agent, shop, path):
    page = open_page("phone")
    sign_in(page, "alice")

    page.goto(path)

    assert axe_problems(page) == []


def csv_file(name, text):
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def import_a_good_then_a_bad_file(page):
    """Connie imports two CIs, then a relationships file with one bad line; the page lists that line."""
    sign_in(page, "connie")
    page.get_by_role("link", name="CMDB").click()
    page.get_by_role("link", name="CSV import and export").click()
    page.get_by_label("Configuration items").check()
    page.get_by_label("CSV file").set_input_files(
        csv_file("cis.csv", "name,type,criticality\nshop-web,server,2\npayments-db,database,1\n")
    )
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported the CIs: 2 created, 0 updated, 0 unchanged.").wait_for()

    page.get_by_label("Relationships").check()
    page.get_by_label("CSV file").set_input_files(
        csv_file("links.csv", "source,kind,target\nshop-web,depends_on,payments-db\nshop-web,needs,ghost\n")
    )
    page.get_by_role("button", name="Import").click()
    page.locator("table.import-errors").wait_for()


def import_the_fixed_file(page):
    page.get_by_label("Relationships").check()
    page.get_by_label("CSV file").set_input_files(
        csv_file("links.csv", "source,kind,target\nshop-web,depends_on,payments-db\n")
    )
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported the relationships: 1 created, 0 updated, 0 unchanged.").wait_for()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_configuration_manager_imports_csv_in_the_console(open_page, config_manager, ci_types, viewport):
    page = open_page(viewport)

    import_a_good_then_a_bad_file(page)

    errors = page.locator("table.import-errors")
    assert "Nothing was imported: 1 bad relationship row(s)." in page.locator(".error-summary").inner_text()
    assert errors.locator("tbody td").first.inner_text() == "3"
    assert "Kind must be one of depends_on" in errors.inner_text()
    assert not Relationship.objects.exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert axe_problems(page) == []

    import_the_fixed_file(page)
    assert ConfigurationItem.objects.get(name="payments-db").criticality == 1
    assert str(Relationship.objects.get()) == "shop-web depends on payments-db"


def test_the_csv_import_works_without_javascript_on_a_phone(open_page, config_manager, ci_types):
    page = open_page("phone", javascript=False)

    import_a_good_then_a_bad_file(page)

    assert "Kind must be one of depends_on" in page.locator("table.import-errors").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    import_the_fixed_file(page)
    assert Relationship.objects.count() == 1


def test_a_configuration_manager_adds_a_service_on_a_phone(open_page, config_manager, ci_types):
    page = open_page("phone")
    sign_in(page, "connie")

    page.goto("/cmdb/services/")
    page.get_by_role("link", name="Add a service").click()
    page.get_by_label("Name", exact=True).fill("Online shop")
    page.get_by_label("Users", exact=True).fill("25000")
    page.get_by_label("Business criticality").select_option(label="1 – critical")
    page.get_by_role("button", name="Save").click()

    row = page.locator("[data-service='Online shop']")
    row.wait_for()
    assert "25,000" in row.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_problems(page) == []
