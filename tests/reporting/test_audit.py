"""The audit trail as administrators read it: GET /api/v1/audit and the console's page and CSV,
filtered by who, which record, which door and when, newest first, paged with a capped count;
everyone else is refused, whatever they ask."""

import csv
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.test import Client

from keel.accounts.actions import update_user
from keel.accounts.models import User
from keel.accounts.roles import Role
from keel.audit.models import AuditRecord
from keel.cmdb.actions.records import create_ci, update_ci
from keel.cmdb.models import CIType, ConfigurationItem
from keel.lib.clock import frozen_at
from keel.lib.doors import Door, entering
from tests.api_schema import assert_matches_openapi
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db

DAY1 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def trail(admin_user: User, config_manager: User, ci_types: dict[str, CIType]) -> ConfigurationItem:
    """A CI created by the configuration manager through the API on day 1, changed by the
    administrator in the console on day 2; nothing else after day 1 08:00."""
    with frozen_at(DAY1), entering(Door.API):
        ci = create_ci(actor=config_manager, name="=HYPERLINK(1)", ci_type=ci_types["server"])
    with frozen_at(DAY1 + timedelta(days=1)), entering(Door.CONSOLE):
        update_ci(ci, actor=admin_user, changes={"criticality": 1, "location": "DC1"})
    return ci


def fields_of(answer: dict[str, object]) -> list[tuple[object, ...]]:
    return [(item["subject_type"], item["field"], item["door"]) for item in answer["items"]]  # type: ignore[index, attr-defined]


def test_the_newest_changes_come_first_with_who_and_old_and_new(
    trail: ConfigurationItem, admin_user: User, api: Callable[[User], ApiClient]
) -> None:
    answer = api(admin_user).get(f"/audit?subject_type=ci&subject_id={trail.pk}")

    assert_matches_openapi(answer, "/api/v1/audit", "get", 200)
    body = answer.json()
    assert (body["count"], body["count_is_capped"], body["offset"], body["limit"]) == (3, False, 0, 50)
    assert [(item["field"], item["old_value"], item["new_value"]) for item in body["items"]] == [
        ("location", "", "DC1"),
        ("criticality", "3", "1"),
        ("created", "", "=HYPERLINK(1)"),
    ]
    newest, oldest = body["items"][0], body["items"][-1]
    assert (newest["at"], newest["door"], newest["actor"]["username"]) == (
        "2026-10-02T09:00:00.000000Z",
        "console",
        "root",
    )
    assert (oldest["door"], oldest["actor"]["username"], oldest["subject_id"]) == ("api", "connie", trail.pk)


def test_each_filter_narrows_the_trail(
    trail: ConfigurationItem, admin_user: User, config_manager: User, api: Callable[[User], ApiClient]
) -> None:
    client = api(admin_user)

    by_actor = client.get(f"/audit?actor={config_manager.username}&subject_type=ci").json()
    by_actor_id = client.get(f"/audit?actor={config_manager.pk}&subject_type=ci").json()
    by_door = client.get("/audit?door=console").json()
    since = client.get("/audit?subject_type=ci&since=2026-10-02").json()
    until = client.get("/audit?subject_type=ci&until=2026-10-01").json()
    between = client.get("/audit?since=2026-10-01T08:00:00Z&until=2026-10-01T10:00:00%2B00:00").json()

    assert fields_of(by_actor) == fields_of(by_actor_id) == [("ci", "created", "api")]
    assert fields_of(by_door) == [("ci", "location", "console"), ("ci", "criticality", "console")]
    assert fields_of(since) == [("ci", "location", "console"), ("ci", "criticality", "console")]
    assert fields_of(until) == [("ci", "created", "api")]
    assert fields_of(between) == [("ci", "created", "api")]


def test_the_count_stops_at_the_cap(
    trail: ConfigurationItem, admin_user: User, api: Callable[[User], ApiClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("keel.lib.paging.COUNT_CAP", 1)

    first = api(admin_user).get("/audit?subject_type=ci&limit=1").json()
    last = api(admin_user).get("/audit?subject_type=ci&limit=1&offset=2").json()

    assert (first["count"], first["count_is_capped"], len(first["items"])) == (1, True, 1)
    assert (last["count"], last["count_is_capped"], fields_of(last)) == (3, False, [("ci", "created", "api")])


@pytest.mark.parametrize(
    ("query", "field", "fragment"),
    [
        ("subject_id=3", "subject_type", "Give subject_type with subject_id"),
        ("subject_type=CI;DROP", "subject_type", "String should match pattern"),
        ("subject_type=ci&subject_id=0", "subject_id", "subject_id must be 1 or more"),
        ("subject_type=ci&subject_id=9223372036854775808", "subject_id", "subject_id must be at most"),
        ("door=fax", "door", "Input should be"),
        ("actor=nobody", "actor", "No user 'nobody'"),
        ("actor=ro%00ot", "actor", "contains a NUL character"),
        ("since=yesterday", "since", "since must be a date like 2026-11-01"),
        ("until=2026-02-30", "until", "until must be a date"),
        ("since=2026-10-02&until=2026-10-01", "since", "since must be before until"),
        ("limit=0", "limit", "limit must be 1 or more"),
        ("offset=9223372036854775808", "offset", "offset must be at most"),
    ],
)
def test_a_bad_filter_is_refused_naming_it(
    admin_user: User, api: Callable[[User], ApiClient], query: str, field: str, fragment: str
) -> None:
    answer = api(admin_user).get(f"/audit?{query}")

    assert (answer.status_code, answer.json()["field"]) == (400, field)
    assert fragment in answer.json()["message"]


def test_bounds_past_what_a_time_holds_are_no_bounds(
    trail: ConfigurationItem, admin_user: User, api: Callable[[User], ApiClient]
) -> None:
    answer = api(admin_user).get("/audit?subject_type=ci&since=0001-01-01T00:00:00%2B14:00&until=9999-12-31")

    assert (answer.status_code, answer.json()["count"]) == (200, 3)


def test_csv_is_every_matching_row_as_text_a_spreadsheet_will_not_run(
    trail: ConfigurationItem, admin_user: User, api: Callable[[User], ApiClient]
) -> None:
    by_header = api(admin_user).get("/audit?subject_type=ci&limit=1", headers={"Accept": "text/csv"})
    by_format = api(admin_user).get("/audit?subject_type=ci&format=csv")

    assert (by_header.status_code, by_header["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert by_header["Content-Disposition"] == 'attachment; filename="audit.csv"'
    text = b"".join(by_header.streaming_content).decode()
    assert text == b"".join(by_format.streaming_content).decode()
    rows = list(csv.reader(StringIO(text)))
    assert rows[0] == ["at", "actor", "door", "subject_type", "subject_id", "field", "old_value", "new_value"]
    assert rows[1:] == [
        ["2026-10-02T09:00:00.000000Z", "root", "console", "ci", str(trail.pk), "location", "", "DC1"],
        ["2026-10-02T09:00:00.000000Z", "root", "console", "ci", str(trail.pk), "criticality", "3", "1"],
        ["2026-10-01T09:00:00.000000Z", "connie", "api", "ci", str(trail.pk), "created", "", "'=HYPERLINK(1)"],
    ]


@pytest.mark.parametrize("role", [role for role in Role if role != Role.ADMIN])
def test_everyone_but_administrators_is_refused_whatever_they_ask(
    role: Role, make_user: Callable[..., User], trail: ConfigurationItem, api: Callable[[User], ApiClient]
) -> None:
    client = api(make_user(f"someone-{role}", role))

    answers = [
        client.get("/audit"),
        client.get("/audit?actor=nobody"),  # 403, not "no user": who exists is none of their business
        client.get("/audit?subject_type=ci&format=csv"),
        client.get("/audit", headers={"Accept": "text/csv"}),
    ]

    assert {answer.status_code for answer in answers} == {403}
    assert answers[1].json() == {
        "message": "The audit trail is for administrators; ask one if you need a record's history.",
        "field": None,
    }


def test_an_administrator_made_inactive_is_refused(
    admin_user: User, make_user: Callable[..., User], api: Callable[[User], ApiClient]
) -> None:
    former = make_user("former", Role.ADMIN)
    client = api(former)
    update_user(former, actor=admin_user, changes={"is_active": False})

    assert client.get("/audit").status_code == 401


# --- the console ---------------------------------------------------------------------------


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_console_page_lists_filters_and_pages(trail: ConfigurationItem, admin_user: User) -> None:
    client = signed_in(admin_user)

    page = client.get("/audit/", {"subject_type": "ci", "subject_id": trail.pk, "limit": 50})
    partial = client.get("/audit/", {"door": "api"}, headers={"HX-Request": "true"})
    bad = client.get("/audit/", {"subject_id": 3})

    html = page.content.decode()
    assert page.status_code == 200
    assert "Showing 1–3 of 3 changes, newest first" in html
    assert html.index("DC1") < html.index("=HYPERLINK(1)")
    assert 'href="/audit/audit.csv?subject_type=ci&amp;subject_id=' in html
    assert 'aria-current="page">Audit</a>' in html
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert "Showing 1–1 of 1 changes" in partial.content.decode()
    assert bad.status_code == 400
    assert "Give subject_type with subject_id" in bad.content.decode()


def test_the_console_csv_follows_the_filters(trail: ConfigurationItem, admin_user: User) -> None:
    exported = signed_in(admin_user).get("/audit/audit.csv", {"door": "console"})

    lines = b"".join(exported.streaming_content).decode().splitlines()
    assert exported["Content-Type"] == "text/csv; charset=utf-8"
    assert [line.split(",")[5] for line in lines] == ["field", "location", "criticality"]


def test_the_console_refuses_everyone_but_administrators(
    trail: ConfigurationItem, agent: User, incident_manager: User, config_manager: User, requester: User
) -> None:
    for user in (agent, incident_manager, config_manager, requester):
        client = signed_in(user)
        page, exported = client.get("/audit/"), client.get("/audit/audit.csv")
        queue = client.get("/incidents/")

        assert (page.status_code, exported.status_code) == (403, 403)
        assert "The audit trail is for administrators" in page.content.decode()
        assert 'href="/audit/"' not in queue.content.decode()
    assert Client().get("/audit/").status_code == 302  # to the sign-in page
    assert AuditRecord.objects.filter(subject_type="ci").count() == 3
