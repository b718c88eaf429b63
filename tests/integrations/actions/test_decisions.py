"""From alerts to incidents: rules decide when, groups decide which incident, a storm is a handful
of incidents, maintenance suppresses, clearing resolves, a re-fire reopens or opens a linked one."""

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from keel.activity.models import TimelineEntry
from keel.cmdb.models import Service
from keel.incidents.actions.lifecycle import transition_incident
from keel.incidents.models import Incident
from keel.incidents.states import Channel, IncidentState, Level, ResolutionCode
from keel.integrations.actions import decisions
from keel.integrations.actions.processing import process_pending
from keel.integrations.actions.sweep import sweep_alerts
from keel.integrations.actions.windows import create_maintenance_window
from keel.integrations.events import IncidentOpenedFromAlerts
from keel.integrations.models import Alert, AlertEvent, CorrelationRule, Payload
from keel.integrations.states import OnAllResolved, OnRefire, PayloadStatus
from keel.lib.clock import frozen_at
from tests.integrations.conftest import captured

FIRING = captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")["json"]
T0 = datetime(2026, 11, 27, 14, 8, tzinfo=UTC)


def notification(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    """An Alertmanager v4 notification carrying these alerts (each with its own status)."""
    return {**copy.deepcopy(FIRING), "status": status, "alerts": list(alerts)}


def alert(
    name: str, *, instance: str, severity: str = "critical", status: str = "firing", **labels: str
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "instance": instance, "severity": severity, **labels},
        "annotations": {"summary": f"{name} on {instance}"},
        "startsAt": "2026-11-27T14:07:03.206Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-27T14:20:00Z",
        "generatorURL": "",
        "fingerprint": f"{name}-{instance}",
    }


def deliver(post: Any, *alerts: dict[str, Any], at: datetime = T0) -> None:
    with frozen_at(at):
        post("alertmanager", notification(*alerts))
        process_pending()


def notes(incident: Incident) -> list[str]:
    entries = TimelineEntry.objects.filter(subject_type="incident", subject_id=incident.pk, kind="system")
    return list(entries.order_by("id").values_list("summary", flat=True))


def test_a_critical_alert_opens_an_incident_on_its_ci_at_once(post, build_graph):
    cis = build_graph(["shop depends_on db1"])
    Service.objects.create(name="Online shop", ci=cis["shop"], users=5000, criticality=1)

    deliver(post, alert("DiskFull", instance="db1:9100"))

    (incident,) = Incident.objects.all()
    placed = Alert.objects.get()
    assert placed.incident == incident
    assert (incident.title, incident.channel, incident.caller.username) == (
        "DiskFull on db1:9100",
        Channel.MONITORING,
        "monitoring",
    )
    assert (incident.ci.name, incident.service.name) == ("db1", "Online shop")
    # Keel's CMDB proposal (a critical service depends on it) and the severity's urgency
    assert (incident.impact, incident.urgency, incident.priority) == (Level.HIGH, Level.HIGH, 1)
    assert "DiskFull on db1:9100" in incident.description
    assert list(AlertEvent.objects.filter(alert=placed).values_list("kind", flat=True)) == ["fired", "opened_incident"]


def test_a_storm_from_one_failing_dependency_is_one_incident(post, build_graph):
    hosts = [f"web-{index:03}" for index in range(300)]
    cis = build_graph([f"shop depends_on {host}" for host in hosts] + [f"{host} depends_on storage" for host in hosts])
    Service.objects.create(name="Online shop", ci=cis["shop"], users=20_000, criticality=1)

    # three notifications of a hundred alerts, then the same again (Alertmanager's repeat)
    for start in (0, 100, 200, 0, 100, 200):
        deliver(post, *(alert("HighLatency", instance=f"{host}:9100") for host in hosts[start : start + 100]))

    assert Alert.objects.count() == 300
    (incident,) = Incident.objects.all()
    assert set(Alert.objects.values_list("incident", flat=True)) == {incident.pk}
    assert incident.title == "HighLatency on web-000:9100 (+99 more alerts)"
    assert notes(incident).count("100 alerts joined, e.g. HighLatency on web-100:9100") == 1
    assert len(notes(incident)) < 10


def test_an_incident_opened_from_alerts_is_published_once_with_its_alerts(
    post, build_graph, published, django_capture_on_commit_callbacks
):
    cis = build_graph(["shop depends_on db1", "shop depends_on db2"])
    Service.objects.create(name="Online shop", ci=cis["shop"], users=5000, criticality=1)

    with django_capture_on_commit_callbacks(execute=True):
        deliver(post, alert("DiskFull", instance="db1:9100"), alert("DiskFull", instance="db2:9100"))
        deliver(post, alert("DiskFull", instance="db1:9100"), alert("CPUHot", instance="db2:9100"))

    (incident,) = Incident.objects.all()
    rule = CorrelationRule.objects.get(position=100)  # critical and error alerts open an incident at once
    alerts = tuple(Alert.objects.filter(incident=incident).order_by("id").values_list("pk", flat=True))
    assert len(alerts) == 3
    assert published == [
        IncidentOpenedFromAlerts(
            incident_id=incident.pk, rule_id=rule.pk, key=f"service:{incident.service_id}", alert_ids=alerts[:2]
        )
    ]


def test_alerts_of_different_services_open_different_incidents(post, build_graph):
    cis = build_graph(["shop depends_on db1", "mail depends_on db2"])
    Service.objects.create(name="Online shop", ci=cis["shop"], criticality=2)
    Service.objects.create(name="Mail", ci=cis["mail"], criticality=3)

    deliver(post, alert("DiskFull", instance="db1:9100"), alert("DiskFull", instance="db2:9100"))

    assert sorted(Incident.objects.values_list("service__name", flat=True)) == ["Mail", "Online shop"]


def test_alerts_keel_cannot_place_group_by_alertname(post):
    deliver(post, alert("DiskFull", instance="x1"), alert("DiskFull", instance="x2"), alert("CPUHot", instance="x1"))

    assert Incident.objects.count() == 2
    assert sorted(Incident.objects.values_list("title", flat=True)) == [
        "CPUHot on x1",
        "DiskFull on x1 (+1 more alerts)",
    ]


def test_a_warning_waits_ten_minutes_firing_before_it_opens_an_incident(post):
    deliver(post, alert("QueueGrowing", instance="mq1", severity="warning"))

    assert Incident.objects.count() == 0
    with frozen_at(T0 + timedelta(minutes=9)):
        sweep_alerts()
    assert Incident.objects.count() == 0
    with frozen_at(T0 + timedelta(minutes=10, seconds=1)):
        assert len(sweep_alerts().decided.opened) == 1
    assert Incident.objects.get().urgency == Level.MEDIUM


def test_a_warning_that_resolves_before_its_time_opens_nothing(post):
    deliver(post, alert("QueueGrowing", instance="mq1", severity="warning"))
    deliver(
        post, alert("QueueGrowing", instance="mq1", severity="warning", status="resolved"), at=T0 + timedelta(minutes=5)
    )

    with frozen_at(T0 + timedelta(minutes=20)):
        sweep_alerts()

    assert Incident.objects.count() == 0
    assert not Alert.objects.get().needs_decision


def test_a_rule_can_ask_for_several_occurrences(post):
    CorrelationRule.objects.filter(severities=["critical", "error"]).update(min_occurrences=3)

    for minute in range(2):
        deliver(post, alert("DiskFull", instance="db1"), at=T0 + timedelta(minutes=minute))
    assert Incident.objects.count() == 0
    deliver(post, alert("DiskFull", instance="db1"), at=T0 + timedelta(minutes=2))
    assert Incident.objects.count() == 1


def test_info_alerts_are_recorded_but_open_nothing(post):
    deliver(post, alert("Deployed", instance="ci", severity="info"))

    assert (Alert.objects.count(), Incident.objects.count()) == (1, 0)
    assert not Alert.objects.get().needs_decision


def test_a_maintenance_window_keeps_the_alert_but_opens_no_incident_until_it_ends(post, build_graph):
    cis = build_graph(["app depends_on db1"])
    create_maintenance_window(
        actor=None,
        name="Disk swap on db1",
        starts_at=T0 - timedelta(hours=1),
        ends_at=T0 + timedelta(hours=1),
        ci=cis["db1"],
    )

    deliver(post, alert("DiskFull", instance="db1:9100"))

    placed = Alert.objects.get()
    assert (Incident.objects.count(), placed.suppressed_by.name, placed.needs_decision) == (0, "Disk swap on db1", True)
    with frozen_at(T0 + timedelta(minutes=30)):
        sweep_alerts()
    assert Incident.objects.count() == 0
    with frozen_at(T0 + timedelta(hours=1, minutes=1)):
        sweep_alerts()  # the work is over and the disk is still full: now it is an incident
    assert Incident.objects.count() == 1


def test_a_window_by_label_matcher_covers_only_what_it_matches(post):
    create_maintenance_window(
        actor=None,
        name="Staging rebuild",
        starts_at=T0 - timedelta(hours=1),
        ends_at=T0 + timedelta(hours=1),
        matchers=[{"label": "env", "op": "=~", "value": "stag.*"}],
    )

    deliver(post, alert("DiskFull", instance="s1", env="staging"), alert("DiskFull", instance="p1", env="production"))

    assert Incident.objects.get().title == "DiskFull on p1"


def test_when_every_alert_resolves_the_incident_is_resolved(post):
    deliver(post, alert("DiskFull", instance="x1"), alert("DiskFull", instance="x2"))
    incident = Incident.objects.get()

    deliver(post, alert("DiskFull", instance="x1", status="resolved"), at=T0 + timedelta(minutes=5))
    incident.refresh_from_db()
    assert incident.state != IncidentState.RESOLVED  # x2 still fires
    deliver(post, alert("DiskFull", instance="x2", status="resolved"), at=T0 + timedelta(minutes=6))

    incident.refresh_from_db()
    assert (incident.state, incident.resolution_code) == (IncidentState.RESOLVED, ResolutionCode.ALERTS_CLEARED)


def test_a_rule_may_leave_the_resolution_to_the_assignee(post):
    CorrelationRule.objects.update(on_all_resolved=OnAllResolved.ASK)
    deliver(post, alert("DiskFull", instance="x1"))

    deliver(post, alert("DiskFull", instance="x1", status="resolved"), at=T0 + timedelta(minutes=5))

    incident = Incident.objects.get()
    assert incident.state == IncidentState.NEW
    assert notes(incident)[-1].startswith("Every alert of this incident has resolved; resolve it once")


def test_a_refire_soon_after_the_resolution_reopens_the_incident(post):
    deliver(post, alert("DiskFull", instance="x1"))
    deliver(post, alert("DiskFull", instance="x1", status="resolved"), at=T0 + timedelta(minutes=5))

    deliver(post, alert("DiskFull", instance="x1"), at=T0 + timedelta(minutes=20))

    incident = Incident.objects.get()
    assert (incident.state, incident.reopen_count) == (IncidentState.IN_PROGRESS, 1)


def test_a_refire_after_the_incident_closed_opens_a_new_one_that_says_which_it_follows(post):
    deliver(post, alert("DiskFull", instance="x1"))
    deliver(post, alert("DiskFull", instance="x1", status="resolved"), at=T0 + timedelta(minutes=5))
    first = Incident.objects.get()
    transition_incident(first, IncidentState.CLOSED, actor=None)

    deliver(post, alert("DiskFull", instance="x1"), at=T0 + timedelta(minutes=20))

    second = Incident.objects.exclude(pk=first.pk).get()
    assert f"Follows {first.number}" in second.description
    assert Alert.objects.get().incident == second


def test_a_rule_may_open_a_new_incident_on_every_refire(post):
    CorrelationRule.objects.update(on_refire=OnRefire.NEW)
    deliver(post, alert("DiskFull", instance="x1"))
    deliver(post, alert("DiskFull", instance="x1", status="resolved"), at=T0 + timedelta(minutes=5))

    deliver(post, alert("DiskFull", instance="x1"), at=T0 + timedelta(minutes=6))

    assert Incident.objects.count() == 2


def test_an_alert_firing_again_on_an_open_incident_is_noted_on_it(post):
    deliver(post, alert("DiskFull", instance="x1"), alert("DiskFull", instance="x2"))
    deliver(post, alert("DiskFull", instance="x1", status="resolved"), at=T0 + timedelta(minutes=1))

    deliver(post, alert("DiskFull", instance="x1"), at=T0 + timedelta(minutes=2))

    incident = Incident.objects.get()
    assert incident.state == IncidentState.NEW
    assert notes(incident)[-1] == "Alert fired again: DiskFull on x1"


def test_a_flapping_alert_does_not_resolve_its_incident_by_itself(post):
    for minute in range(5):
        status = "firing" if minute % 2 == 0 else "resolved"
        deliver(post, alert("Flappy", instance="x1", status=status), at=T0 + timedelta(minutes=minute))
    deliver(post, alert("Flappy", instance="x1", status="resolved"), at=T0 + timedelta(minutes=5))

    incident = Incident.objects.get()
    assert incident.state != IncidentState.RESOLVED
    assert "flapping" in notes(incident)[-1]


def test_a_decision_that_fails_keeps_the_alerts_and_the_sweep_decides_later(post, monkeypatch, caplog):
    def broken(*args: Any, **kwargs: Any) -> Incident:
        raise RuntimeError("the incident could not be opened")

    with monkeypatch.context() as patched:
        patched.setattr(decisions, "open_incident", broken)
        deliver(post, alert("DiskFull", instance="db1:9100"), alert("DiskFull", instance="db2:9100"))

    assert "deciding about 2 alerts failed" in caplog.text
    assert Payload.objects.get().status == PayloadStatus.PROCESSED
    assert Incident.objects.count() == 0
    stored = Alert.objects.order_by("id")
    assert [(a.needs_decision, a.incident_id, a.occurrences) for a in stored] == [(True, None, 1), (True, None, 1)]
    assert list(AlertEvent.objects.values_list("kind", flat=True)) == ["fired", "fired"]

    with frozen_at(T0 + timedelta(seconds=30)):
        assert len(sweep_alerts().decided.opened) == 1
    (incident,) = Incident.objects.all()
    assert [(a.needs_decision, a.incident_id) for a in stored.all()] == [(False, incident.pk), (False, incident.pk)]
