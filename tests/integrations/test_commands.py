"""``keel source`` and ``keel intake``, run through call_command: the URL (or, for PagerDuty, the base
URL and routing key) is the last output, and it works; processing and replaying by hand."""

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from keel.accounts.models import Team
from keel.integrations.actions.sources import IssuedSecret
from keel.integrations.inbound.generic.presets import PRESETS
from keel.integrations.models import Alert, Payload, Source
from keel.integrations.states import PayloadStatus
from keel.lib import clock
from tests.integrations.conftest import Sender, captured

pytestmark = pytest.mark.django_db

FIRING = captured("alertmanager", "alertmanager-0.25-webhook-v4-firing")["json"]


def last_lines(capsys: pytest.CaptureFixture[str], count: int = 1) -> list[str]:
    return capsys.readouterr().out.strip().splitlines()[-count:]


@pytest.mark.parametrize(
    ("arguments", "body"),
    [
        (["--kind", "alertmanager"], FIRING),
        (["--kind", "prometheus"], []),
        (["--kind", "generic", "--mapping-file", "{mapping}"], {"title": "Disk full"}),
    ],
)
def test_create_prints_the_full_inbound_url_last_and_it_works(
    capsys: pytest.CaptureFixture[str], sender: Sender, tmp_path: Path, arguments: list[str], body: object
) -> None:
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"summary": "title"}))

    call_command("source", "create", "prod", *(part.format(mapping=mapping) for part in arguments))

    (url,) = last_lines(capsys)
    source = Source.objects.get()
    assert url.startswith(f"http://127.0.0.1:8000/integrations/{source.kind}/{source.token_prefix}")
    assert source.kind == arguments[1]
    assert sender.post(url, body).status_code == 202


def test_create_prints_pagerdutys_base_url_and_routing_key_last(
    capsys: pytest.CaptureFixture[str], sender: Sender
) -> None:
    call_command("source", "create", "ci", "--kind", "pagerduty", "--description", "CI runners")

    base, key = last_lines(capsys, 2)
    event = {**captured("pagerduty", "python-pagerduty-7.2.0-events-v2-trigger")["json"], "routing_key": key}
    assert base == "http://127.0.0.1:8000/integrations/pagerduty"
    assert len(key) == 32
    assert Source.objects.get().description == "CI runners"
    assert sender.post(f"{base}/v2/enqueue", event).status_code == 202


def test_create_takes_a_preset_a_group_identity_labels_and_an_expiry(network_team: Team) -> None:
    call_command(
        "source",
        "create",
        "grafana",
        "--kind",
        "generic",
        "--preset",
        "grafana",
        "--group",
        "network",
        "--identity-labels",
        "alertname, instance",
        "--expire-after",
        "900",
    )

    source = Source.objects.get()
    assert (source.mapping, source.assignment_group, source.identity_labels, source.expire_after_s) == (
        dict(PRESETS["grafana"]),
        network_team,
        ["alertname", "instance"],
        900,
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--kind", "generic"], "The field mapping needs 'summary'"),
        (["--kind", "alertmanager", "--group", "nobody"], "No assignment group 'nobody'"),
        (["--kind", "alertmanager", "--preset", "grafana"], "Only generic sources take a field mapping."),
        (["--kind", "generic", "--mapping-file", "/no/such/file.json"], "Cannot read /no/such/file.json"),
        (["--kind", "nagios"], "invalid choice: 'nagios'"),
    ],
)
def test_create_refuses_clearly_and_stores_nothing(db: None, arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("source", "create", "prod", *arguments)

    assert not Source.objects.exists()


def test_a_mapping_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.json"
    mapping.write_text("{summary: title}")

    with pytest.raises(CommandError, match=re.escape("is not JSON")):
        call_command("source", "create", "prod", "--kind", "generic", "--mapping-file", str(mapping))


def test_rotate_prints_the_new_url_last_and_the_old_one_stops(
    capsys: pytest.CaptureFixture[str], sources: dict[str, IssuedSecret], sender: Sender
) -> None:
    call_command("source", "rotate", "prod-alertmanager")

    (url,) = last_lines(capsys)
    assert url != sources["alertmanager"].url
    assert sender.post(sources["alertmanager"].url, FIRING).status_code == 401
    assert sender.post(url, FIRING).status_code == 202


def test_rotating_a_pagerduty_source_prints_its_base_url_and_new_routing_key(
    capsys: pytest.CaptureFixture[str], sources: dict[str, IssuedSecret]
) -> None:
    call_command("source", "rotate", "ci-runner")

    base, key = last_lines(capsys, 2)
    assert base == "http://127.0.0.1:8000/integrations/pagerduty"
    assert (len(key), key != sources["pagerduty"].secret) == (32, True)


def test_revoke_stops_the_source(
    capsys: pytest.CaptureFixture[str], sources: dict[str, IssuedSecret], sender: Sender
) -> None:
    call_command("source", "revoke", "prod-alertmanager")

    assert last_lines(capsys) == ["Revoked prod-alertmanager: Keel refuses whatever it sends from now on."]
    assert sender.post(sources["alertmanager"].url, FIRING).status_code == 401
    with pytest.raises(CommandError, match=re.escape("is revoked; a revoked source gets no new secret")):
        call_command("source", "rotate", "prod-alertmanager")


def test_an_unknown_source_is_named(db: None) -> None:
    message = "No monitoring source 'nope'; give a source id or its exact name."

    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("source", "rotate", "nope")


def test_list_shows_every_source_with_what_it_sent(
    capsys: pytest.CaptureFixture[str], sources: dict[str, IssuedSecret], post: Any
) -> None:
    post("alertmanager", FIRING)
    call_command("intake", "process")
    capsys.readouterr()

    call_command("source", "list")

    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["ci-runner", "grafana", "prod-alertmanager", "prod-prometheus"]
    assert lines[2].split("\t")[1:4] == ["alertmanager", f"{sources['alertmanager'].secret[:8]}…", "active"]
    assert "1 active alerts\t1 payloads, 0 rejected in 24 h" in lines[2]


def test_list_says_how_to_start_when_there_is_none(capsys: pytest.CaptureFixture[str], db: None) -> None:
    call_command("source", "list")

    assert "keel source create" in capsys.readouterr().out


def test_process_drains_every_pending_payload(
    capsys: pytest.CaptureFixture[str], post: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("keel.integrations.actions.processing.BATCH", 2)
    for number in range(5):
        post("alertmanager", {**FIRING, "alerts": [{**FIRING["alerts"][0], "fingerprint": f"f{number}"}]})

    call_command("intake", "process")

    assert last_lines(capsys) == ["Processed 5 payloads: 5 alert updates, 1 incident opened."]
    assert not Payload.objects.filter(status=PayloadStatus.PENDING).exists()


def test_replay_requeues_named_payloads_and_processes_them_again_changing_nothing(
    capsys: pytest.CaptureFixture[str], post: Any
) -> None:
    post("alertmanager", FIRING)
    call_command("intake", "process")
    before = list(Alert.objects.values_list("occurrences", "last_seen_at"))
    payload = Payload.objects.get()

    call_command("intake", "replay", "--payload", str(payload.pk), "--payload", str(payload.pk))

    assert last_lines(capsys, 2) == ["Requeued 1 payload.", "Processed 1 payload: 0 alert updates, 0 incidents opened."]
    assert list(Alert.objects.values_list("occurrences", "last_seen_at")) == before


def test_replay_by_source_since_a_time_takes_rejected_payloads_too(
    capsys: pytest.CaptureFixture[str], post: Any
) -> None:
    start = clock.now() - timedelta(seconds=1)
    post("alertmanager", FIRING)
    post("alertmanager", {**FIRING, "version": "3"})

    call_command("intake", "replay", "--source", "prod-alertmanager", "--since", start.isoformat())

    assert last_lines(capsys, 2)[0] == "Requeued 2 payloads."
    assert sorted(Payload.objects.values_list("status", flat=True)) == ["failed", "processed"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--payload", "4242"], "No payload has the id 4242; nothing was requeued."),
        (["--source", "prod-alertmanager"], "--source needs --since"),
        (["--source", "prod-alertmanager", "--since", "yesterday"], "is not an ISO 8601 time"),
        (["--source", "prod-alertmanager", "--since", "2026-11-27T14:00"], "has no time zone"),
        (["--source", "nope", "--since", "2026-11-27T14:00Z"], "No monitoring source 'nope'"),
        ([], "one of the arguments --payload --source is required"),
    ],
)
def test_replay_refuses_clearly(sources: dict[str, IssuedSecret], arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("intake", "replay", *arguments)
