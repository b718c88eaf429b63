"""From stored payloads to alerts: one per identity, deduplicated, each by its own status; replays
change nothing; leases expire; flapping is seen; labels land on CMDB CIs and services."""

from datetime import UTC, datetime, timedelta

from keel.cmdb.actions.records import create_ci, update_ci
from keel.cmdb.models import Service
from keel.integrations.actions.processing import BATCH_SIGNALS, process_pending, replay
from keel.integrations.actions.sweep import sweep_alerts
from keel.integrations.models import Alert, AlertEvent, ChangeEvent, Payload
from keel.integrations.states import AlertStatus, PayloadStatus
from keel.lib.clock import frozen_at
from tests.integrations.conftest import captured, received_at

GROUP_OF_TWO = captured("alertmanager", "alertmanager-0.25-webhook-v4-group-of-two")
ONE_RESOLVED = captured("alertmanager", "alertmanager-0.25-webhook-v4-group-firing-with-one-resolved")


def _events(alert: Alert) -> list[str]:
    return list(AlertEvent.objects.filter(alert=alert).order_by("id").values_list("kind", flat=True))


def test_each_alert_of_a_group_becomes_one_alert_by_its_fingerprint(post):
    post("alertmanager", GROUP_OF_TWO["json"])

    processed = process_pending()

    assert (processed.payloads, processed.alerts) == (1, 2)
    assert sorted(Alert.objects.values_list("identity", "status", "occurrences")) == [
        ("448cc93ea2d7e986", "firing", 1),
        ("82a1c553a5964e3d", "firing", 1),
    ]
    db1 = Alert.objects.get(identity="448cc93ea2d7e986")
    assert (db1.summary, db1.severity, db1.labels["instance"]) == ("Disk full on db1", "critical", "db1:9100")
    assert db1.links == [{"href": "https://runbooks.example/disk", "text": "Runbook"}]
    assert Payload.objects.get().status == PayloadStatus.PROCESSED


def test_a_resent_notification_counts_an_occurrence_and_creates_nothing(post):
    post("alertmanager", GROUP_OF_TWO["json"])
    post("alertmanager", GROUP_OF_TWO["json"])

    process_pending()

    assert Alert.objects.count() == 2
    assert set(Alert.objects.values_list("occurrences", flat=True)) == {2}
    assert AlertEvent.objects.filter(kind="fired").count() == 2


def test_each_alert_follows_its_own_status_not_the_groups(post):
    post("alertmanager", GROUP_OF_TWO["json"])
    post("alertmanager", ONE_RESOLVED["json"])  # the group says firing; db1 inside it resolved

    process_pending()

    db1, db2 = Alert.objects.get(identity="448cc93ea2d7e986"), Alert.objects.get(identity="82a1c553a5964e3d")
    assert (db1.status, db2.status) == (AlertStatus.RESOLVED, AlertStatus.FIRING)
    assert _events(db1) == ["fired", "resolved"]


def test_replaying_stored_payloads_changes_nothing(post):
    post("alertmanager", GROUP_OF_TWO["json"])
    post("alertmanager", ONE_RESOLVED["json"])
    process_pending()
    before = sorted(Alert.objects.values_list("identity", "status", "occurrences", "last_seen_at"))
    events = AlertEvent.objects.count()

    replayed = replay(list(Payload.objects.values_list("pk", flat=True)))
    process_pending()

    assert replayed == 2
    assert sorted(Alert.objects.values_list("identity", "status", "occurrences", "last_seen_at")) == before
    assert AlertEvent.objects.count() == events
    assert set(Payload.objects.values_list("status", flat=True)) == {PayloadStatus.PROCESSED}


def test_the_same_alert_via_prometheus_and_via_alertmanager_is_one_identity(post):
    direct = captured("prometheus", "prometheus-2.42-post-api-v2-alerts-firing")
    with frozen_at(received_at(direct)):
        post("prometheus", direct["json"])
        process_pending()

    (alert,) = Alert.objects.all()
    assert alert.identity == "28035806cce32950"  # Alertmanager's fingerprint of the same labels
    assert alert.ends_at is not None  # the lease Prometheus gave it


def test_a_prometheus_alert_that_stops_being_sent_expires_when_its_lease_runs_out(post):
    direct = captured("prometheus", "prometheus-2.42-post-api-v2-alerts-firing")
    with frozen_at(received_at(direct)):
        post("prometheus", direct["json"])
        process_pending()
    alert = Alert.objects.get()

    with frozen_at(alert.ends_at - timedelta(seconds=1)):
        assert sweep_alerts().expired == 0
    with frozen_at(alert.ends_at + timedelta(seconds=1)):
        assert sweep_alerts().expired == 1

    alert.refresh_from_db()
    assert alert.status == AlertStatus.EXPIRED
    assert _events(alert) == ["fired", "opened_incident", "expired"]  # critical: an incident at once


def test_an_alertmanager_alert_without_a_lease_does_not_expire(post):
    post("alertmanager", GROUP_OF_TWO["json"])
    process_pending()

    assert sweep_alerts().expired == 0


def test_pagerduty_trigger_acknowledge_and_resolve_move_one_alert(sender, sources):
    url = sources["pagerduty"].url + "/v2/enqueue"
    for name in ("trigger", "acknowledge", "resolve"):
        event = {**captured("pagerduty", f"python-pagerduty-7.2.0-events-v2-{name}")["json"]}
        sender.post(url, {**event, "routing_key": sources["pagerduty"].secret})
        process_pending()

    (alert,) = Alert.objects.all()
    assert (alert.identity, alert.status, alert.summary) == ("disk-db-3-var", "resolved", "Disk /var 95% full on db-3")
    assert alert.labels["source"] == "db-3.example.internal"
    assert _events(alert) == ["fired", "acknowledged", "resolved"]


def test_an_acknowledge_for_an_alert_keel_never_saw_creates_nothing(sender, sources):
    event = {**captured("pagerduty", "python-pagerduty-7.2.0-events-v2-acknowledge")["json"]}

    sender.post(sources["pagerduty"].url + "/v2/enqueue", {**event, "routing_key": sources["pagerduty"].secret})
    process_pending()

    assert Alert.objects.count() == 0
    assert Payload.objects.get().status == PayloadStatus.PROCESSED


def test_a_change_event_is_recorded(sender, sources):
    event = {**captured("pagerduty", "python-pagerduty-7.2.0-events-v2-change")["json"]}

    sender.post(sources["pagerduty"].url + "/v2/change/enqueue", {**event, "routing_key": sources["pagerduty"].secret})
    process_pending()

    change = ChangeEvent.objects.get()
    assert (change.summary, change.reported_by, change.details) == (
        "Deployed checkout v2.3.1",
        "ci-runner-7",
        {"custom_details": {"build": 812}},
    )


def test_an_alert_that_keeps_flipping_is_flagged_flapping_and_calms_down_later(post):
    resolved = {
        **GROUP_OF_TWO["json"],
        "alerts": [{**alert, "status": "resolved"} for alert in GROUP_OF_TWO["json"]["alerts"]],
    }
    for body in (GROUP_OF_TWO, {"json": resolved}, GROUP_OF_TWO, {"json": resolved}, GROUP_OF_TWO):
        post("alertmanager", body["json"])
    process_pending()

    alert = Alert.objects.get(identity="448cc93ea2d7e986")
    assert alert.is_flapping
    assert _events(alert) == ["fired", "resolved", "refired", "resolved", "refired", "flapping", "opened_incident"]
    with frozen_at(alert.status_changed_at + timedelta(minutes=11)):
        assert sweep_alerts().steadied == 2
    alert.refresh_from_db()
    assert not alert.is_flapping


def test_labels_land_on_the_ci_by_name_alias_or_host_and_on_the_service_that_depends_on_it(post, build_graph, ci_types):
    cis = build_graph(["shop depends_on db1", "shop depends_on storage"])
    Service.objects.create(name="Online shop", ci=cis["shop"], users=5000, criticality=1)
    update_ci(cis["storage"], actor=None, changes={"aliases": ["db2", "san-01"]})

    post("alertmanager", GROUP_OF_TWO["json"])  # instances db1:9100 and db2:9100
    process_pending()

    db1, db2 = Alert.objects.get(identity="448cc93ea2d7e986"), Alert.objects.get(identity="82a1c553a5964e3d")
    assert (db1.ci, db2.ci) == (cis["db1"], cis["storage"])
    assert db1.service == db2.service == Service.objects.get(name="Online shop")


def test_a_service_label_naming_a_business_service_places_the_alert_there(post, ci_types):
    create_ci(actor=None, name="payments-api", ci_type=ci_types["application"])
    service = Service.objects.create(name="payments-api-service")
    firing = captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")["json"]
    alert = {**firing["alerts"][0], "labels": {**firing["alerts"][0]["labels"], "business_service": service.name}}

    post("alertmanager", {**firing, "alerts": [alert]})
    process_pending()

    placed = Alert.objects.get()
    assert (placed.ci.name, placed.service) == ("payments-api", service)


def _many(count: int, start: int = 0) -> dict[str, object]:
    alert = GROUP_OF_TWO["json"]["alerts"][0]
    alerts = [{**alert, "fingerprint": f"fp-{start + n}"} for n in range(count)]
    return {**GROUP_OF_TWO["json"], "alerts": alerts}


def test_a_helper_worker_leaves_a_short_queue_to_the_first_worker(post):
    with frozen_at(datetime(2026, 12, 3, 9, 0, tzinfo=UTC)):
        post("alertmanager", _many(3))
    with frozen_at(datetime(2026, 12, 3, 9, 0, 4, tzinfo=UTC)):
        assert process_pending(backlog_only=True).payloads == 0
    assert Payload.objects.get().status == PayloadStatus.PENDING

    with frozen_at(datetime(2026, 12, 3, 9, 0, 6, tzinfo=UTC)):  # the oldest has waited more than 5 s
        assert process_pending(backlog_only=True).alerts == 3


def test_a_helper_worker_takes_a_batch_when_a_whole_one_waits(post):
    with frozen_at(datetime(2026, 12, 3, 9, 0, tzinfo=UTC)):
        for start in range(0, BATCH_SIGNALS, 500):
            post("alertmanager", _many(500, start))
        assert process_pending(backlog_only=True).alerts == BATCH_SIGNALS
