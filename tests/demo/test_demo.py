"""``keel demo`` on a fresh database: every state, every role, history in the past, loaded once."""

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from io import StringIO
from itertools import pairwise
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.db.models import Max, Min
from django.test import override_settings
from django.utils import timezone

from keel.accounts.models import Team, User
from keel.accounts.roles import Role
from keel.activity.models import EntryKind, TimelineEntry
from keel.audit.models import AuditRecord
from keel.cmdb.models import ConfigurationItem, Relationship, Service
from keel.demo.build import DEMO_PASSWORD, demo_accounts
from keel.escalation.models import EscalationPolicy
from keel.incidents.models import Category, Incident
from keel.incidents.states import DEFAULT_PRIORITY_MATRIX, Channel, HoldReason, IncidentState, Level
from keel.notifications.models import Event, Notification
from keel.routing.models import RoutingRule
from keel.sla.models import Clock, ClockEvent
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_output(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The demo, built once for this module inside a transaction that is rolled back afterwards."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        out = StringIO()
        call_command("demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _row_counts() -> dict[str, int]:
    models = (User, Team, Category, Service, ConfigurationItem, Incident, TimelineEntry, AuditRecord)
    return {model.__name__: model.objects.count() for model in models}


def test_the_command_reports_what_it_built(demo_output: str) -> None:
    assert "300 incidents over 90 days" in demo_output
    assert "admin" in demo_output
    assert DEMO_PASSWORD in demo_output


def test_three_hundred_incidents_in_every_state(demo_output: str) -> None:
    states = set(Incident.objects.values_list("state", flat=True))

    assert Incident.objects.count() == 300
    assert states == set(IncidentState.values)


def test_incidents_on_hold_wait_for_every_reason(demo_output: str) -> None:
    reasons = set(Incident.objects.filter(state=IncidentState.ON_HOLD).values_list("hold_reason", flat=True))

    assert reasons == set(HoldReason.values)


def test_every_channel_and_priority_occurs(demo_output: str) -> None:
    assert set(Incident.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert set(Incident.objects.values_list("priority", flat=True)) == {1, 2, 3, 4, 5}


def test_priorities_follow_the_matrix(demo_output: str) -> None:
    rows = list(Incident.objects.values_list("impact", "urgency", "priority"))
    matrix = DEFAULT_PRIORITY_MATRIX

    assert rows == [(impact, urgency, matrix[(Level(impact), Level(urgency))]) for impact, urgency, _ in rows]


def test_every_role_has_people(demo_output: str) -> None:
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert {account.role for account in demo_accounts()} == set(Role.labels)


def test_demo_accounts_sign_in_with_the_shared_password(demo_output: str) -> None:
    signed_in = [authenticate(username=account.username, password=account.password) for account in demo_accounts()]

    assert None not in signed_in
    assert [getattr(user, "username", "") for user in signed_in] == [account.username for account in demo_accounts()]


def test_the_story_mix_is_there(demo_output: str) -> None:
    incidents = Incident.objects.all()
    week_ago = timezone.now() - timedelta(days=7)
    closings = TimelineEntry.objects.filter(kind=EntryKind.STATE_CHANGED, data__to=IncidentState.CLOSED)

    assert incidents.filter(first_contact_resolution=True).exists()
    assert incidents.filter(reassignment_count__gt=0).exists()
    assert incidents.filter(reopen_count__gt=0).exists()
    assert incidents.filter(state=IncidentState.RESOLVED, resolved_at__lt=week_ago).exists()  # for auto-close
    assert closings.filter(actor__isnull=True).exists()  # closed by the auto-close job
    assert closings.filter(actor__isnull=False).exists()  # confirmed by the caller
    assert TimelineEntry.objects.filter(kind=EntryKind.WORK_NOTE).exists()
    assert TimelineEntry.objects.filter(kind=EntryKind.COMMENT).exists()


def test_every_timeline_starts_with_the_opening_and_runs_forward(demo_output: str) -> None:
    times: dict[int, list[datetime]] = defaultdict(list)
    kinds: dict[int, str] = {}
    entries = TimelineEntry.objects.filter(subject_type="incident").order_by("pk")
    for subject_id, at, kind in entries.values_list("subject_id", "at", "kind"):
        times[subject_id].append(at)
        kinds.setdefault(subject_id, kind)
    opened = dict(Incident.objects.values_list("pk", "opened_at"))

    assert set(times) == set(opened)
    assert set(kinds.values()) == {EntryKind.OPENED}
    assert {pk: moments[0] for pk, moments in times.items()} == opened
    assert times == {pk: sorted(moments) for pk, moments in times.items()}


def test_history_covers_ninety_days_and_nothing_is_in_the_future(demo_output: str) -> None:
    now = timezone.now()
    incident_times = Incident.objects.aggregate(
        Min("opened_at"),
        Max("opened_at"),
        Max("updated_at"),
        Max("first_response_at"),
        Max("resolved_at"),
        Max("closed_at"),
    )
    first_opened = incident_times.pop("opened_at__min")
    latest = [*incident_times.values(), TimelineEntry.objects.aggregate(Max("at"))["at__max"]]
    latest.append(AuditRecord.objects.aggregate(Max("at"))["at__max"])

    assert now - timedelta(days=90) <= first_opened <= now - timedelta(days=80)
    assert max(latest) <= now


def test_numbers_grow_with_time(demo_output: str) -> None:
    opened = list(Incident.objects.order_by("pk").values_list("opened_at", flat=True))

    assert opened == sorted(opened)


@pytest.mark.parametrize("arguments", [(), ("--if-empty",)])
def test_running_it_again_changes_nothing(demo_output: str, arguments: tuple[str, ...]) -> None:
    before = _row_counts()
    out = StringIO()

    call_command("demo", *arguments, stdout=out)

    assert _row_counts() == before
    assert "already there" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()


def test_demo_incidents_are_measured_against_slas(demo_output: str) -> None:
    clocks = Clock.objects.filter(is_current=True)
    measured = set(clocks.values_list("incident_id", flat=True))
    states = set(clocks.values_list("state", flat=True))

    assert measured == set(Incident.objects.values_list("pk", flat=True))
    assert states == {"running", "paused", "met", "breached", "cancelled"}
    # Replayed history crossed warnings and breaches: the closing sweep recorded them.
    assert ClockEvent.objects.filter(kind="threshold").exists()
    assert not clocks.filter(state="running", next_at__lt=timezone.now()).exists()


SHOP_TREE = ["Online shop", "shop-web-01", "checkout-api", "payments-db", "storage-cluster-01"]


def test_the_demo_has_a_service_tree_from_the_shop_down_to_storage(demo_output: str) -> None:
    links = set(Relationship.objects.values_list("source__name", "kind", "target__name"))
    shop = Service.objects.get(name="Online shop")

    assert {(needer, "depends_on", needed) for needer, needed in pairwise(SHOP_TREE)} <= links
    assert shop.ci is not None
    assert (shop.ci.name, shop.users, shop.criticality) == ("Online shop", 25_000, 1)


def test_the_storage_clusters_upstream_impact_reaches_the_shop_and_its_users(
    demo_output: str, api: Callable[[User], ApiClient]
) -> None:
    client = api(User.objects.get(username="carmen"))

    impact = client.get("/cis/storage-cluster-01/impact?direction=up&depth=10").json()

    distances = {ci["name"]: ci["distance"] for ci in impact["cis"]}
    services = {service["name"]: service for service in impact["services"]}
    assert [distances[name] for name in SHOP_TREE[-2::-1]] == [1, 2, 3, 4]
    assert (services["Online shop"]["users"], services["Online shop"]["distance"]) == (25_000, 4)
    assert impact["users"] >= 25_000
    assert client.get("/cis/storage-cluster-01/proposal").json()["impact"] == "high"


def test_routing_rules_route_what_is_logged_after_the_history(demo_output: str, api: Any) -> None:
    agent = User.objects.get(username="alice")
    answer = api(agent).post("/routing/test", {"title": "Wi-Fi drops on the second floor", "category": "Network"})

    assert RoutingRule.objects.count() == 5
    assert (answer.json()["rule"]["name"], answer.json()["assignment_group"]["slug"]) == ("Network on site", "network")


def test_stalled_demo_incidents_are_escalated_to_their_managers(demo_output: str) -> None:
    told = Notification.objects.filter(event=Event.ESCALATED).values_list("recipient__username", flat=True)
    fired = TimelineEntry.objects.filter(data__has_key="escalation_policy_id")

    assert EscalationPolicy.objects.count() == 3
    assert fired.exists()
    assert {"nick", "dora", "arjun", "erik", "priya"} & set(told)
