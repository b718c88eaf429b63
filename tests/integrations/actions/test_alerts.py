"""A person acknowledging an alert: audited on the alert and published once committed. What Keel
itself does to alerts is their history (alert events), not audit rows."""

from collections.abc import Callable
from typing import Any

import pytest

from keel.accounts.models import User
from keel.audit.models import AuditRecord
from keel.integrations.actions.alerts import SUBJECT, acknowledge_alert
from keel.integrations.events import AlertAcknowledged
from keel.integrations.models import Alert, AlertEvent
from keel.lib.errors import NotAllowed
from tests.integrations.conftest import audit

pytestmark = pytest.mark.django_db


def test_acknowledging_is_audited_and_published_once(
    resolver: User,
    disk_full: dict[str, Alert],
    published: list[object],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    alert = disk_full["db1"]

    with django_capture_on_commit_callbacks(execute=True):
        acknowledge_alert(alert, actor=resolver)
        acknowledge_alert(alert, actor=resolver)

    assert audit(SUBJECT, alert.pk) == [("Nick", "status", "firing", "acknowledged")]
    assert published == [AlertAcknowledged(alert_id=alert.pk, actor_id=resolver.pk)]
    assert AlertEvent.objects.filter(alert=alert, kind="acknowledged").get().note == "by Nick"


def test_a_refused_acknowledgement_leaves_no_trace(
    requester: User,
    disk_full: dict[str, Alert],
    published: list[object],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotAllowed):
        acknowledge_alert(disk_full["db1"], actor=requester)

    assert audit(SUBJECT, disk_full["db1"].pk) == []
    assert published == []


def test_keel_processing_alerts_writes_their_events_not_audit_rows(disk_full: dict[str, Alert]) -> None:
    assert AlertEvent.objects.filter(alert__in=disk_full.values()).exists()
    assert not AuditRecord.objects.filter(subject_type=SUBJECT).exists()
