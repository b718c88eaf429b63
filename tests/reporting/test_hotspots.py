"""Hotspots: incidents per CI and service with MTTR and MTBF, ranked; the page, the CSV and the API."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from keel.accounts.models import User
from keel.cmdb.actions.records import create_service
from keel.cmdb.models import ConfigurationItem, Service
from keel.incidents.actions.lifecycle import resolve_incident, transition_incident
from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.incidents.states import IncidentState, ResolutionCode
from keel.lib.clock import frozen_at
from keel.reporting.hotspots import HotspotBy, Period, hotspots
from tests.conftest import PASSWORD, ApiClient, Graph

pytestmark = pytest.mark.django_db

DAY1 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def incident_at(
    agent: User, caller: User, *, ci: ConfigurationItem, service: Service | None, opened: datetime, hours: float | None
) -> Incident:
    """An incident opened at ``opened`` and (unless hours is None) resolved that many hours later."""
    with frozen_at(opened):
        incident = open_incident(actor=agent, caller=caller, title=f"{ci.name} broke", ci=ci, service=service)
        transition_incident(incident, IncidentState.IN_PROGRESS, actor=agent)
    if hours is not None:
        with frozen_at(opened + timedelta(hours=hours)):
            resolve_incident(incident, actor=agent, code=ResolutionCode.SOLVED_PERMANENTLY)
    return incident


@pytest.fixture
def history(agent: User, requester: User, build_graph: Callable[[Sequence[str]], Graph]) -> Graph:
    """db: three incidents (2 h, 4 h, still open) a day apart; web: one of 1 h; one cancelled on web."""
    graph = build_graph(["web depends_on db"])
    shop = create_service(actor=None, name="Shop", users=10)
    incident_at(agent, requester, ci=graph["db"], service=shop, opened=DAY1, hours=2)
    incident_at(agent, requester, ci=graph["db"], service=shop, opened=DAY1 + timedelta(days=1), hours=4)
    incident_at(agent, requester, ci=graph["db"], service=None, opened=DAY1 + timedelta(days=2), hours=None)
    incident_at(agent, requester, ci=graph["web"], service=shop, opened=DAY1 + timedelta(hours=3), hours=1)
    with frozen_at(DAY1):
        cancelled = open_incident(actor=agent, caller=requester, title="Mistake", ci=graph["web"])
        transition_incident(cancelled, IncidentState.CANCELLED, actor=agent, note="Logged by mistake")
    return graph


PERIOD = Period(since=DAY1 - timedelta(days=1), until=DAY1 + timedelta(days=10))


def test_per_ci_ranked_with_mttr_and_mtbf(history: Graph) -> None:
    rows = hotspots(by=HotspotBy.CI, period=PERIOD)

    assert [(row.name, row.incidents, row.open) for row in rows] == [("db", 3, 1), ("web", 1, 0)]
    db = rows[0]
    assert db.mttr == timedelta(hours=3)
    # Gaps: resolved day1 11:00 → opened day2 09:00 (22 h), resolved day2 13:00 → opened day3 09:00 (20 h).
    assert db.mtbf == timedelta(hours=21)
    assert rows[1].mtbf is None


def test_per_service_overlapping_incidents_count_as_no_gap(history: Graph) -> None:
    [shop] = hotspots(by=HotspotBy.SERVICE, period=PERIOD)

    # db 09:00–11:00 and web 12:00–13:00 on day 1 (gap 1 h), then db day 2 09:00 (gap 20 h).
    assert (shop.name, shop.incidents, shop.open) == ("Shop", 3, 0)
    assert shop.mtbf == timedelta(hours=10, minutes=30)
    assert shop.mttr == timedelta(hours=7) / 3


def test_the_period_bounds_what_counts(history: Graph) -> None:
    rows = hotspots(by=HotspotBy.CI, period=Period(since=DAY1 + timedelta(days=1), until=DAY1 + timedelta(days=10)))

    assert [(row.name, row.incidents) for row in rows] == [("db", 2)]


def test_the_page_and_the_csv(history: Graph, agent: User) -> None:
    client = Client()
    assert client.login(username=agent.username, password=PASSWORD)

    page = client.get("/cmdb/hotspots/", {"since": "2026-09-30", "until": "2026-10-10"}).content.decode()
    exported = client.get("/cmdb/hotspots.csv", {"since": "2026-09-30", "until": "2026-10-10", "by": "service"})

    assert page.index(">db</a>") < page.index(">web</a>")
    assert b"".join(exported.streaming_content).decode().splitlines() == [
        "rank,service,incidents,open,mttr_hours,mtbf_hours",
        "1,Shop,3,0,2.33,10.5",
    ]


def test_the_api_and_who_may_see_it(
    history: Graph, agent: User, requester: User, api: Callable[[User], ApiClient]
) -> None:
    report = api(agent).get("/reports/hotspots?by=ci&since=2026-09-30&until=2026-10-10").json()
    refused = api(requester).get("/reports/hotspots")
    bad = api(agent).get("/reports/hotspots?since=yesterday")

    assert [(item["rank"], item["name"], item["mttr_hours"], item["mtbf_hours"]) for item in report["items"]] == [
        (1, "db", 3.0, 21.0),
        (2, "web", 1.0, None),
    ]
    assert report["since"] == "2026-09-30T00:00:00.000000Z"
    assert refused.status_code == 403
    assert bad.json() == {"message": "since must be a date like 2026-11-01 (got 'yesterday').", "field": "since"}


def test_a_long_incident_spanning_shorter_ones_measures_from_its_end(
    agent: User, requester: User, build_graph: Callable[[Sequence[str]], Graph]
) -> None:
    san = build_graph(["app depends_on san"])["san"]
    # 48 h outage with two short ones inside it, then one a day after it ended.
    for hours_in, lasting in ((0, 48), (3, 1), (24, 1), (72, 1)):
        incident_at(agent, requester, ci=san, service=None, opened=DAY1 + timedelta(hours=hours_in), hours=lasting)

    [row] = hotspots(by=HotspotBy.CI, period=PERIOD)

    # Gaps: 0 (inside the outage), 0 (still inside), 24 h (from the outage's end, not the short one's).
    assert (row.name, row.incidents, row.open) == ("san", 4, 0)
    assert row.mtbf == timedelta(hours=8)


def test_an_incident_that_follows_one_still_open_has_no_gap(
    agent: User, requester: User, build_graph: Callable[[Sequence[str]], Graph]
) -> None:
    san = build_graph(["app depends_on san"])["san"]
    incident_at(agent, requester, ci=san, service=None, opened=DAY1, hours=None)
    incident_at(agent, requester, ci=san, service=None, opened=DAY1 + timedelta(days=1), hours=2)
    incident_at(agent, requester, ci=san, service=None, opened=DAY1 + timedelta(days=2), hours=1)

    [row] = hotspots(by=HotspotBy.CI, period=PERIOD)

    assert (row.incidents, row.open) == (3, 1)
    assert row.mtbf == timedelta(0)
    assert row.mttr == timedelta(hours=1, minutes=30)


def test_the_csv_over_the_api(history: Graph, agent: User, requester: User, api: Callable[[User], ApiClient]) -> None:
    exported = api(agent).get("/reports/hotspots.csv?by=ci&since=2026-09-30&until=2026-10-10")
    by_service = api(agent).get("/reports/hotspots.csv?by=service&since=2026-09-30&until=2026-10-10")
    refused = api(requester).get("/reports/hotspots.csv")
    bad = api(agent).get("/reports/hotspots.csv?by=team")

    assert exported.status_code == 200
    assert exported["Content-Type"] == "text/csv; charset=utf-8"
    assert exported["Content-Disposition"] == 'attachment; filename="hotspots-by-ci.csv"'
    assert b"".join(exported.streaming_content).decode().splitlines() == [
        "rank,ci,incidents,open,mttr_hours,mtbf_hours",
        "1,db,3,1,3.0,21.0",
        "2,web,1,0,1.0,",
    ]
    assert b"".join(by_service.streaming_content).decode().splitlines()[1] == "1,Shop,3,0,2.33,10.5"
    assert refused.status_code == 403
    assert (bad.status_code, bad.json()) == (
        400,
        {"message": "by must be 'ci' or 'service' (got 'team').", "field": "by"},
    )


def test_a_ci_named_like_a_formula_is_exported_as_text(
    agent: User, requester: User, build_graph: Callable[[Sequence[str]], Graph], api: Callable[[User], ApiClient]
) -> None:
    ci = build_graph(["=1+1 depends_on @db"])["=1+1"]
    incident_at(agent, requester, ci=ci, service=None, opened=DAY1, hours=2)

    exported = api(agent).get("/reports/hotspots.csv?by=ci&since=2026-09-30&until=2026-10-10")

    assert b"".join(exported.streaming_content).decode().splitlines()[1] == "1,'=1+1,1,0,2.0,"
