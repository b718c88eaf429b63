"""The periodic part of alert handling (config/schedule.py): leases that ran out, flapping that
calmed down, and the decisions that wait on time (a rule's minimum firing time, a maintenance
window's end). Safe on several workers: rows are claimed with ``SKIP LOCKED``."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from django.db import transaction
from django.db.models import Q

from keel.integrations.actions.decisions import Decided, decide
from keel.integrations.models import Alert, AlertEvent, Source
from keel.integrations.rows import update_alerts
from keel.integrations.states import ACTIVE, FLAP_WINDOW_S, AlertEventKind, AlertStatus
from keel.lib import clock

BATCH: Final = 1000
# What expiring an alert or calming its flapping changes.
SWEPT: Final = ("status", "status_changed_at", "is_flapping", "recent_changes", "needs_decision")


@dataclass(frozen=True)
class Swept:
    expired: int
    steadied: int
    decided: Decided


def sweep_alerts() -> Swept:
    now = clock.now()
    with transaction.atomic():
        lapsed = Q(ends_at__lt=now)
        for source_id, seconds in Source.objects.filter(expire_after_s__gt=0).values_list("pk", "expire_after_s"):
            lapsed |= Q(source_id=source_id, last_seen_at__lt=now - timedelta(seconds=seconds))
        expiring = list(
            Alert.objects.filter(lapsed, status__in=sorted(ACTIVE))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")[:BATCH]
        )
        calming = list(
            Alert.objects.filter(is_flapping=True, status_changed_at__lt=now - timedelta(seconds=FLAP_WINDOW_S))
            .exclude(pk__in=[alert.pk for alert in expiring])
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")[:BATCH]
        )
        events = []
        for alert in expiring:
            alert.status = AlertStatus.EXPIRED
            alert.status_changed_at = now
            alert.needs_decision = alert.incident_id is not None
            events.append(AlertEvent(alert=alert, at=now, kind=AlertEventKind.EXPIRED))
        for alert in calming:
            alert.is_flapping = False
            alert.recent_changes = []
            alert.needs_decision = alert.needs_decision or alert.incident_id is not None
            events.append(AlertEvent(alert=alert, at=now, kind=AlertEventKind.STEADY))
        update_alerts([*expiring, *calming], SWEPT)
        AlertEvent.objects.bulk_create(events)
    return Swept(expired=len(expiring), steadied=len(calming), decided=decide())
