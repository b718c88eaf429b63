"""End to end with the real senders against a real ``keel serve`` (web server and worker) over HTTPS
on 127.0.0.1: Debian's Prometheus Alertmanager (alerts injected with amtool) and Prometheus, and
the official ``pagerduty`` client. The served Keel uses the test database, so the tests read what
it did through the ORM. Slow (they wait for real timers); ``pytest -m "not e2e"`` skips them.

The configuration files written here are the ones docs/operations.md shows operators.
"""

import importlib
import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pagerduty
import pytest
from django.apps import apps

from keel.activity.models import TimelineEntry
from keel.incidents.models import Incident
from keel.incidents.states import OPEN, Channel, IncidentState, ResolutionCode
from keel.integrations.models import Alert, ChangeEvent, Payload
from keel.integrations.states import AlertStatus, PayloadStatus
from tests.live import (
    Certificates,
    Served,
    free_port,
    get,
    make_certificates,
    run,
    serve,
    stop,
    suite_database_url,
    wait_for,
)

ALERTMANAGER = Path("/usr/bin/prometheus-alertmanager")
AMTOOL = Path("/usr/bin/amtool")
PROMETHEUS = Path("/usr/bin/prometheus")
needs_alertmanager = pytest.mark.skipif(
    not (ALERTMANAGER.exists() and AMTOOL.exists()),
    reason="Debian package 'prometheus-alertmanager' (prometheus-alertmanager and amtool) is not installed",
)
needs_prometheus = pytest.mark.skipif(not PROMETHEUS.exists(), reason="Debian package 'prometheus' is not installed")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# The migration that gives a new Keel its correlation rules (critical and error alerts open an
# incident at once, ...): the tests run against the rules an installation starts with.
SEEDED_RULES = importlib.import_module("keel.integrations.migrations.0002_seed_correlation_rules")

# Alertmanager sending to Keel, with timers short enough for a test (production: group_wait 30s,
# group_interval 5m, repeat_interval 4h). amtool's alerts carry no end time, so Alertmanager would
# resolve them itself after resolve_timeout: long enough that only the test resolves them.
ALERTMANAGER_YML = """\
global:
  resolve_timeout: 5m
route:
  receiver: keel
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: keel
{receiver}"""
# Its webhook receiver, to the URL Keel printed for an alertmanager source.
WEBHOOK = """\
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          tls_config:
            ca_file: {ca}
"""
# Its PagerDuty receiver, to Keel's PagerDuty base URL with a pagerduty source's routing key; the
# severity is the alerts' own (Alertmanager's default says "error" whatever they say).
PAGERDUTY = """\
    pagerduty_configs:
      - url: {url}/v2/enqueue
        routing_key: {key}
        severity: '{{{{ .CommonLabels.severity }}}}'
        http_config:
          tls_config:
            ca_file: {ca}
"""
# Prometheus posting straight to Keel as to an Alertmanager: it appends /api/v2/alerts to the
# path prefix, so the URL Keel prints is split into scheme, target and path_prefix.
PROMETHEUS_YML = """\
global:
  evaluation_interval: 1s
rule_files: [{rules}]
alerting:
  alertmanagers:
    - scheme: {scheme}
      path_prefix: {path_prefix}
      tls_config:
        ca_file: {ca}
      static_configs:
        - targets: ["{target}"]
"""
# A rule that fires at once, and the same rule (same group and name) when the condition is gone.
RULES = """\
groups:
  - name: checkout
    rules:
      - alert: CheckoutQueueStuck
        expr: {expr}
        labels:
          severity: critical
          service: checkout
        annotations:
          summary: Checkout queue is not draining
"""
FIRING, CLEARED = "vector(1)", "vector(1) < 0"

DB1 = ("alertname=DiskFull", "instance=db1:9100", "service=payments-db", "severity=critical")
DB2 = ("alertname=DiskFull", "instance=db2:9100", "service=payments-db", "severity=critical")
# A source Keel creates in a subprocess, as `keel source create` will print it: the URL last
# (for PagerDuty-style sources the base URL, then the routing key). Replace with that command.
CREATE_SOURCE = """
from keel.integrations.actions.sources import create_source
issued = create_source(actor=None, name={name!r}, kind={kind!r})
print(issued.url)
print(issued.secret)
"""


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def keel(django_db_setup, certificates, tmp_path_factory) -> Iterator[Served]:
    """`keel serve` over HTTPS with its worker (which pumps the intake) on the test database.

    Module-scoped rather than session-scoped: its worker ticks the scheduler, which must not run
    against the database while other modules' tests use it."""
    var = tmp_path_factory.mktemp("keel")
    env = {
        "DATABASE_URL": suite_database_url(),
        "KEEL_VAR_DIR": str(var),
        "KEEL_HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "KEEL_TLS_CERT": str(certificates.cert),
        "KEEL_TLS_KEY": str(certificates.key),
        "KEEL_WEB_WORKERS": "1",
    }
    with (var / "serve.log").open("wb") as log:
        served = serve(env, context=certificates.client_context(), log=log)
        yield served
        stop(served.process)
    print((var / "serve.log").read_text()[-4000:])  # shown with a failing test's output


@pytest.fixture(autouse=True)
def rules_as_migrated(transactional_db) -> None:
    """The correlation rules as migrations leave them, which earlier transactional tests flushed.
    (Not serialized rollback: its restore clashes with the content types those flushes recreated.)"""
    SEEDED_RULES.seed(apps, None)


@dataclass(frozen=True)
class Issued:
    url: str
    secret: str


def create_source(keel: Served, name: str, kind: str) -> Issued:
    *_, url, secret = keel.keel("shell", "-c", CREATE_SOURCE.format(name=name, kind=kind)).splitlines()
    return Issued(url=url, secret=secret)


@dataclass(frozen=True)
class Alertmanager:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def add(self, *labels: str, summary: str = "", ended: bool = False) -> None:
        """Inject an alert as amtool does; ``ended`` gives it an end time in the past (resolved)."""
        ends = [f"--end={(datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec='seconds')}"] if ended else []
        annotations = [f"--annotation=summary={summary}"] if summary else []
        run([AMTOOL, "alert", "add", *labels, *annotations, *ends, f"--alertmanager.url={self.url}"])


@pytest.fixture
def alertmanager(tmp_path, certificates) -> Iterator[Callable[..., Alertmanager]]:
    """Start Debian's Alertmanager (no clustering, its own storage) with a receiver sending to Keel."""
    started: list[Alertmanager] = []

    def start(receiver: str, **values: str) -> Alertmanager:
        config = tmp_path / "alertmanager.yml"
        config.write_text(ALERTMANAGER_YML.format(receiver=receiver.format(ca=certificates.ca, **values)))
        port, log = free_port(), tmp_path / "alertmanager.log"
        command = [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'alertmanager'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ]
        with log.open("wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        manager = Alertmanager(url=f"http://127.0.0.1:{port}", process=process, log=log)
        started.append(manager)
        wait_for("Alertmanager to be ready", lambda: _ready(f"{manager.url}/-/ready"), timeout=30)
        return manager

    yield start
    for manager in started:
        stop(manager.process)


@dataclass(frozen=True)
class Prometheus:
    process: subprocess.Popen[bytes]
    rules: Path

    def clear(self) -> None:
        """The rule's condition is gone: rewrite it and have Prometheus reload (SIGHUP)."""
        self.rules.write_text(RULES.format(expr=CLEARED))
        self.process.send_signal(signal.SIGHUP)


@pytest.fixture
def prometheus(tmp_path, certificates) -> Iterator[Callable[[str], Prometheus]]:
    """Start Debian's Prometheus with one firing rule, posting its alerts to a Keel URL."""
    started: list[Prometheus] = []

    def start(keel_url: str) -> Prometheus:
        where = urlsplit(keel_url)
        rules, config = tmp_path / "rules.yml", tmp_path / "prometheus.yml"
        rules.write_text(RULES.format(expr=FIRING))
        config.write_text(
            PROMETHEUS_YML.format(
                rules=rules,
                scheme=where.scheme,
                path_prefix=where.path.removesuffix("/api/v2/alerts"),
                target=where.netloc,
                ca=certificates.ca,
            )
        )
        port = free_port()
        command = [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'prometheus'}",
            f"--web.listen-address=127.0.0.1:{port}",
            # Prometheus drops what fires before it has discovered its Alertmanagers (Keel) and sends
            # again after the resend delay, a minute by default.
            "--rules.alert.resend-delay=2s",
        ]
        with (tmp_path / "prometheus.log").open("wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        server = Prometheus(process=process, rules=rules)
        started.append(server)
        wait_for("Prometheus to be ready", lambda: _ready(f"http://127.0.0.1:{port}/-/ready"), timeout=60)
        return server

    yield start
    for server in started:
        stop(server.process)


def _ready(url: str) -> bool:
    try:
        return get(url, timeout=2)[0] == 200
    except OSError:
        return False


def _pagerduty(certificates: Certificates, base_url: str, routing_key: str) -> pagerduty.EventsApiV2Client:
    # trust_env=False: no proxy settings from the environment; this stays on loopback.
    return pagerduty.EventsApiV2Client(
        routing_key, base_url=base_url, verify=certificates.client_context(), trust_env=False
    )


def _incident_of(**alert: object) -> Alert | None:
    return Alert.objects.filter(incident__isnull=False, **alert).select_related("incident").first()


def _resolved(incident_id: int | None) -> Incident | None:
    return Incident.objects.filter(pk=incident_id, state=IncidentState.RESOLVED).first()


def _timeline(incident: Incident) -> list[str]:
    entries = TimelineEntry.objects.filter(subject_type="incident", subject_id=incident.pk).order_by("at", "pk")
    return list(entries.values_list("summary", flat=True))


@needs_alertmanager
def test_an_alertmanager_alert_opens_one_incident_deduplicated_and_resolved_when_it_clears(keel, alertmanager):
    issued = create_source(keel, "prod-alertmanager", "alertmanager")
    manager = alertmanager(WEBHOOK, url=issued.url)

    manager.add(*DB1, summary="Disk full on db1")
    opened = wait_for("an incident for the alert", lambda: _incident_of(labels__instance="db1:9100"))
    seen = Alert.objects.get(pk=opened.pk).occurrences
    manager.add(*DB1, summary="Disk full on db1")  # injected again: the same alert to Alertmanager
    wait_for("Alertmanager to send it again", lambda: Alert.objects.filter(pk=opened.pk, occurrences__gt=seen).exists())
    while_firing = (Alert.objects.count(), Incident.objects.count())
    manager.add(*DB1, summary="Disk full on db1", ended=True)
    resolved = wait_for("the incident to resolve", lambda: _resolved(opened.incident_id))

    alert = Alert.objects.get()
    assert issued.url.startswith(f"{keel.base_url}/integrations/alertmanager/"), "Keel prints where it serves"
    assert alert.summary == "Disk full on db1"
    assert alert.labels == {
        "alertname": "DiskFull",
        "instance": "db1:9100",
        "service": "payments-db",
        "severity": "critical",
    }
    assert opened.incident.channel == Channel.MONITORING
    assert opened.incident.title == "Disk full on db1"
    assert while_firing == (1, 1), "every notification Alertmanager sent is the same alert and incident"
    assert alert.status == AlertStatus.RESOLVED
    assert resolved.resolution_code == ResolutionCode.ALERTS_CLEARED
    assert Incident.objects.count() == 1
    assert set(Payload.objects.values_list("user_agent", "status")) == {
        ("Alertmanager/0.25.0", PayloadStatus.PROCESSED)
    }


@needs_alertmanager
def test_a_second_alert_of_the_group_joins_the_incident_which_resolves_once_both_clear(keel, alertmanager):
    issued = create_source(keel, "prod-alertmanager", "alertmanager")
    manager = alertmanager(WEBHOOK, url=issued.url)

    manager.add(*DB1, summary="Disk full on db1")
    first = wait_for("an incident for db1", lambda: _incident_of(labels__instance="db1:9100"))
    manager.add(*DB2, summary="Disk full on db2")
    second = wait_for("db2 to join an incident", lambda: _incident_of(labels__instance="db2:9100"))
    manager.add(*DB1, summary="Disk full on db1", ended=True)
    wait_for(
        "Keel to decide about db1's end",
        lambda: Alert.objects.filter(pk=first.pk, status=AlertStatus.RESOLVED, needs_decision=False).exists(),
    )
    with_db2_firing = Incident.objects.get(pk=first.incident_id).state
    manager.add(*DB2, summary="Disk full on db2", ended=True)
    resolved = wait_for("the incident to resolve", lambda: _resolved(first.incident_id))

    assert second.incident_id == first.incident_id
    assert Incident.objects.count() == 1
    assert with_db2_firing in OPEN, "one alert of the incident still fires"
    assert resolved.resolution_code == ResolutionCode.ALERTS_CLEARED
    assert "Alert joined: Disk full on db2" in _timeline(resolved)
    assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.RESOLVED}


@needs_alertmanager
def test_alertmanager_with_a_wrong_secret_in_its_url_gets_401_and_nothing_is_stored(keel, alertmanager):
    issued = create_source(keel, "prod-alertmanager", "alertmanager")  # a source exists; this is not its URL
    manager = alertmanager(WEBHOOK, url=issued.url.rsplit("/", 1)[0] + "/not-the-secret")

    manager.add(*DB1, summary="Disk full on db1")
    # Waiting for Alertmanager's own word that Keel answered 401 (not, say, a TLS failure).
    wait_for("Alertmanager to log a 401 from Keel", lambda: "unexpected status code 401" in manager.log.read_text())

    assert (Payload.objects.count(), Alert.objects.count(), Incident.objects.count()) == (0, 0, 0)


@needs_alertmanager
def test_alertmanagers_own_pagerduty_integration_opens_an_incident_and_resolves_it(keel, alertmanager):
    issued = create_source(keel, "prod-alertmanager-pd", "pagerduty")
    manager = alertmanager(PAGERDUTY, url=issued.url, key=issued.secret)

    manager.add(*DB1, summary="Disk full on db1")
    opened = wait_for("an incident for the group's event", lambda: _incident_of(source__name="prod-alertmanager-pd"))
    manager.add(*DB1, summary="Disk full on db1", ended=True)
    resolved = wait_for("the incident to resolve", lambda: _resolved(opened.incident_id))

    alert = Alert.objects.get()
    assert re.fullmatch("[0-9a-f]{64}", alert.identity), "Alertmanager's dedup_key: the SHA-256 of its group key"
    assert alert.summary.startswith("[FIRING:1] DiskFull")
    assert alert.severity == "critical"
    assert alert.status == AlertStatus.RESOLVED
    assert resolved.resolution_code == ResolutionCode.ALERTS_CLEARED
    assert set(Payload.objects.values_list("user_agent", "status")) == {
        ("Alertmanager/0.25.0", PayloadStatus.PROCESSED)
    }


@needs_prometheus
def test_prometheus_posting_as_to_an_alertmanager_opens_an_incident_and_resolves_it(keel, prometheus):
    issued = create_source(keel, "prod-prometheus", "prometheus")
    server = prometheus(issued.url)

    opened = wait_for("an incident for the rule's alert", lambda: _incident_of(labels__alertname="CheckoutQueueStuck"))
    server.clear()
    resolved = wait_for("the incident to resolve", lambda: _resolved(opened.incident_id))

    alert = Alert.objects.get()
    assert alert.labels == {"alertname": "CheckoutQueueStuck", "service": "checkout", "severity": "critical"}
    assert alert.summary == "Checkout queue is not draining"
    assert alert.status == AlertStatus.RESOLVED
    assert resolved.resolution_code == ResolutionCode.ALERTS_CLEARED
    assert set(Payload.objects.values_list("user_agent", flat=True)) == {"Prometheus/2.42.0+ds"}


def test_the_pagerduty_client_triggers_acknowledges_and_resolves_an_incident_over_tls(keel, certificates):
    issued = create_source(keel, "ci-runner", "pagerduty")
    client = _pagerduty(certificates, issued.url, issued.secret)

    key = client.trigger("Disk /var 95% full on db-3", "db-3", severity="critical", custom_details={"free": "5%"})
    opened = wait_for("an incident for the event", lambda: _incident_of(identity=key))
    acknowledged = client.acknowledge(key)
    wait_for("the alert to be acknowledged", lambda: Alert.objects.filter(status=AlertStatus.ACKNOWLEDGED).exists())
    resolved_key = client.resolve(key)
    resolved = wait_for("the incident to resolve", lambda: _resolved(opened.incident_id))

    assert issued.url == f"{keel.base_url}/integrations/pagerduty"
    assert re.fullmatch("[0-9a-f]{32}", key), "Keel gave the trigger a dedup_key and the client took it"
    assert (acknowledged, resolved_key) == (key, key)
    assert opened.summary == "Disk /var 95% full on db-3"
    assert opened.incident.channel == Channel.MONITORING
    assert resolved.resolution_code == ResolutionCode.ALERTS_CLEARED
    assert Alert.objects.get().status == AlertStatus.RESOLVED
    user_agents = set(Payload.objects.values_list("user_agent", flat=True))
    assert {agent.split(" ")[0] for agent in user_agents} == {"python-pagerduty/7.2.0"}


def test_a_pagerduty_change_event_from_the_client_is_recorded(keel, certificates):
    issued = create_source(keel, "ci-runner", "pagerduty")
    client = _pagerduty(certificates, issued.url, issued.secret)
    link = {"href": "https://ci.example/builds/42", "text": "Build 42"}

    # pagerduty 7.2.0's submit() fails in the client itself without a timestamp (its default uses
    # datetime.timezone on the datetime class), so the test gives one, as callers must.
    client.submit(
        "Deployed checkout 2.4.1",
        source="ci-runner",
        custom_details={"build": 42},
        links=[link],
        timestamp="2026-12-01T12:00:00Z",
    )
    change = wait_for("the change to be recorded", ChangeEvent.objects.first)

    assert (change.summary, change.reported_by) == ("Deployed checkout 2.4.1", "ci-runner")
    assert change.at == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert change.links == [link]
    assert change.details == {"custom_details": {"build": 42}}
    assert Alert.objects.count() == 0


def test_a_bad_routing_key_gets_401_and_nothing_is_stored(keel, certificates):
    issued = create_source(keel, "ci-runner", "pagerduty")  # a source exists; this key is not its
    client = _pagerduty(certificates, issued.url, "0" * 32)

    with pytest.raises(pagerduty.HttpError) as refusal:
        client.trigger("Disk /var 95% full on db-3", "db-3")

    assert refusal.value.response.status_code == 401
    assert "No active source has this secret" in refusal.value.response.json()["message"]
    assert (Payload.objects.count(), Alert.objects.count(), Incident.objects.count()) == (0, 0, 0)
