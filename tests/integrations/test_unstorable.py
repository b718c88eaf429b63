"""Monitoring's intake never loses an accepted alert (issue 23 §2): text the database cannot store is
replaced at the door and the alert kept, any body is stored as received, and a payload whose
processing fails is marked failed with its reason — the others go on, and it can be replayed.
Through the real inbound URL, on whichever database the suite runs on."""

import base64
import copy
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from keel.integrations.actions import processing
from keel.integrations.actions.processing import process_pending, replay
from keel.integrations.models import Alert, Payload
from keel.integrations.states import PayloadStatus
from keel.lib.text import REPLACEMENT
from tests.integrations.conftest import captured

FIRING = "alertmanager-0.25-webhook-v4-firing"


def _alert_with(post: Callable[..., Any], raw: bytes) -> Alert:
    answer = post("alertmanager", raw)
    assert answer.status_code == 202, answer.content
    process_pending()
    payload = Payload.objects.get(pk=answer.json()["payload"])
    assert (payload.status, payload.error) == (PayloadStatus.PROCESSED, "")
    return Alert.objects.get()


def test_a_nul_in_a_label_is_kept_as_a_replacement_character(post: Callable[..., Any]) -> None:
    raw = orjson.dumps(_document({"note": "disk\u0000full"}))

    alert = _alert_with(post, raw)

    assert alert.labels["note"] == f"disk{REPLACEMENT}full"


def test_a_lone_surrogate_in_a_label_is_kept_as_a_replacement_character(post: Callable[..., Any]) -> None:
    raw = orjson.dumps(_document({"note": "@@"})).replace(b"@@", b"\\ud9dc")

    alert = _alert_with(post, raw)

    assert alert.labels["note"] == REPLACEMENT


def test_a_huge_label_is_kept(post: Callable[..., Any]) -> None:
    raw = orjson.dumps(_document({"note": "x" * 200_000}))

    alert = _alert_with(post, raw)

    assert len(alert.labels["note"]) == 200_000


def _document(labels: dict[str, str], *, fingerprint: str = "f00d") -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(captured("alertmanager", FIRING)["json"])
    body["alerts"] = body["alerts"][:1]
    body["alerts"][0]["labels"].update(labels)
    body["alerts"][0]["fingerprint"] = fingerprint
    return body


def test_a_body_with_a_nul_byte_is_refused_and_stored_as_received(post: Callable[..., Any]) -> None:
    raw = b'{"alerts": [{"labels": {"a": "x\x00y"}}]}'

    answer = post("alertmanager", raw)

    assert answer.status_code == 400
    payload = Payload.objects.get()
    assert (payload.status, payload.body_encoding) == (PayloadStatus.REJECTED, "base64")
    assert base64.b64decode(payload.body) == raw
    assert "NUL byte" in payload.error


def test_a_body_that_is_not_utf8_is_stored_as_received(post: Callable[..., Any]) -> None:
    raw = b'{"alerts": "\xff\xfe"}'

    assert post("alertmanager", raw).status_code == 400

    assert base64.b64decode(Payload.objects.get().body) == raw


def test_a_payload_that_fails_alone_is_marked_failed_and_the_others_are_applied(
    post: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = post("alertmanager", orjson.dumps(_document({"poison": "yes"}))).json()["payload"]
    fine = post("alertmanager", orjson.dumps(_document({}, fingerprint="beef"))).json()["payload"]
    apply = processing.apply_signals

    def failing(batch: Any) -> Any:
        if any(payload.pk == poison for payload, _ in batch):
            raise ValueError("value too long for type character varying(255)")
        return apply(batch)

    monkeypatch.setattr(processing, "apply_signals", failing)

    done = process_pending()

    assert done.payloads == 2
    failed, applied = Payload.objects.get(pk=poison), Payload.objects.get(pk=fine)
    assert failed.status == PayloadStatus.FAILED
    assert "value too long" in failed.error
    assert applied.status == PayloadStatus.PROCESSED
    assert Alert.objects.count() == 1
    assert process_pending().payloads == 0  # nothing spins: the failed one waits for a replay

    monkeypatch.setattr(processing, "apply_signals", apply)
    replay([poison])
    process_pending()

    assert Payload.objects.get(pk=poison).status == PayloadStatus.PROCESSED
    assert Alert.objects.count() == 2


def test_a_failed_payload_shows_its_reason_in_the_api(
    post: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, api: Any, incident_manager: Any, sources: Any
) -> None:
    post("alertmanager", orjson.dumps(_document({})))
    monkeypatch.setattr(processing, "apply_signals", _explode)
    process_pending()

    (shown,) = api(incident_manager).get("/sources/prod-alertmanager/payloads").json()
    assert (shown["status"], "Processing failed (RuntimeError)" in shown["error"]) == ("failed", True)


def _explode(batch: Any) -> Any:
    raise RuntimeError("boom")
