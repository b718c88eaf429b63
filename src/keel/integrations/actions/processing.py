"""Processing what the intake stored: the oldest pending payloads, a batch at a time.

``process_pending`` is what ``keel worker`` pumps without pause while there is work (config/pumps.py),
so processing keeps up with the intake instead of waiting for a tick. Each batch is one
transaction: the payloads are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (several workers
share the load; SQLite has one writer anyway), read again from their stored text, applied to the
alerts in memory, decided about (which incident each waiting alert opens or joins), written, and
marked processed. Deciding before writing means a new alert is written once, with its incident.
The decisions run in a savepoint: when they fail, the alerts are written undecided and the
payloads still count as processed, so a failing decision never holds back the intake; the sweep
decides about what was left. A batch whose writes fail is done again a payload at a time, and the
payloads that fail alone are marked ``failed`` with the reason (replayable), never dropped.
"""

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from django.db import transaction

from keel.integrations.actions.alerts import apply_signals, naming_lost, write_changes
from keel.integrations.actions.decisions import Decided, plan_decisions
from keel.integrations.actions.intake import read_stored
from keel.integrations.inbound.parsed import AlertSignal, ChangeSignal, MalformedPayload
from keel.integrations.models import ChangeEvent, Payload
from keel.integrations.rows import update_payloads
from keel.integrations.states import PayloadStatus
from keel.lib import clock
from keel.lib.database import is_database_down, postgres
from keel.lib.text import storable

logger = logging.getLogger(__name__)

BATCH: Final = 500
# A batch also stops at this many alerts: Alertmanager sends groups of hundreds in one payload.
BATCH_SIGNALS: Final = 2000
# A helper worker takes a batch when a whole one is waiting, or when the oldest payload has waited
# this long (the first worker is busy with a slow batch, or down).
HELP_AFTER_S: Final = 5.0
HELP_SPAN: Final = timedelta(seconds=HELP_AFTER_S)
# What processing changes on a payload.
PROCESSED: Final = ("status", "error", "signals", "processed_at")


@dataclass(frozen=True)
class Processed:
    payloads: int
    alerts: int
    opened: int

    def __add__(self, other: "Processed") -> "Processed":
        return Processed(self.payloads + other.payloads, self.alerts + other.alerts, self.opened + other.opened)


NOTHING: Final = Processed(0, 0, 0)


def process_pending(*, batch: int = BATCH, backlog_only: bool = False) -> Processed:
    """Apply the oldest pending payloads (up to ``batch``) and decide about the alerts they touched;
    ``backlog_only`` (a helper worker): only when a backlog has built up.

    A batch that fails is done again one payload at a time, so that only the payloads at fault are
    marked ``failed`` (with the reason, for the admins and ``keel intake replay``) and the others
    are applied: a poison payload never holds the queue. A database that does not answer is not a
    payload's fault: it is raised for the worker to ride out.
    """
    claimed: list[int] = []
    try:
        with transaction.atomic():
            payloads = _claim(batch, backlog_only=backlog_only)
            claimed = [payload.pk for payload in payloads]
            return _process(payloads) if payloads else NOTHING
    except Exception as error:
        if not claimed or is_database_down(error):
            raise
        logger.exception("a batch of %d payloads failed; applying them one at a time", len(claimed))
        return _one_at_a_time(claimed)


def _process(payloads: Sequence[Payload]) -> Processed:
    alerts: list[tuple[Payload, Sequence[AlertSignal]]] = []
    for payload in payloads:
        signals = _signals_of(payload)
        alerts.append((payload, [signal for signal in signals if isinstance(signal, AlertSignal)]))
        _record_changes(payload, [signal for signal in signals if isinstance(signal, ChangeSignal)])
    written, decided = _apply_and_decide(alerts)
    now = clock.now()
    for payload in payloads:
        if payload.status == PayloadStatus.PENDING:
            payload.status = PayloadStatus.PROCESSED
        payload.processed_at = now
    update_payloads(payloads, PROCESSED)
    return Processed(len(payloads), written, len(decided.opened))


def _one_at_a_time(payload_ids: Sequence[int]) -> Processed:
    done = NOTHING
    for payload_id in payload_ids:
        try:
            with transaction.atomic():
                pending = Payload.objects.filter(pk=payload_id, status=PayloadStatus.PENDING)
                payloads = list(pending.select_for_update(skip_locked=True, of=("self",)).select_related("source"))
                done += _process(payloads) if payloads else NOTHING
        except Exception as error:
            if is_database_down(error):
                raise
            logger.exception("payload %s cannot be processed; it is marked failed", payload_id)
            _mark_failed(payload_id, error)
            done += Processed(1, 0, 0)  # off the queue: a failed payload waits for a replay
    return done


def _mark_failed(payload_id: int, error: Exception) -> None:
    reason = storable(f"Processing failed ({type(error).__name__}): {error}")
    Payload.objects.filter(pk=payload_id, status=PayloadStatus.PENDING).update(
        status=PayloadStatus.FAILED, error=str(reason)[:2000], processed_at=clock.now()
    )


def _apply_and_decide(batch: Sequence[tuple[Payload, Sequence[AlertSignal]]]) -> tuple[int, Decided]:
    """Apply the signals, decide about the alerts left waiting, write both; returns how many alerts
    were written and what was decided."""
    written, decided = 0, Decided()
    while batch:
        changes = apply_signals(batch)
        try:
            with transaction.atomic():
                decision = plan_decisions(changes.waiting(), now=clock.now())
                lost = write_changes(changes, decision.events)
                decided.include(decision.finish())
        except Exception:
            logger.exception("deciding about %d alerts failed; they are stored undecided", len(changes.waiting()))
            # Rolled back to before the decisions: apply the batch again and write it undecided.
            changes = apply_signals(batch)
            lost = write_changes(changes)
        written += sum(1 for alert in changes.touched if alert.pk is not None)
        batch = naming_lost(batch, lost) if lost else []  # identities another processor created first
    return written, decided


@dataclass
class _Floor:
    """Below which id this process has seen no pending payload (a hint, never a rule).

    Every processed payload leaves a dead entry in PostgreSQL's ``payload_pending`` index until a
    vacuum removes it, and a claim that starts from the lowest id walks all of them: after 30,000
    payloads, each claim of the bench's storm read 30,000 dead entries and processing fell from
    ~2,500 to ~250 alerts/s. The claim starts at the floor instead. A payload below it can come back
    (another worker's batch rolled back), so the floor drops to 0 whenever a claim finds nothing and
    at least every ``RESCAN_S`` seconds.
    """

    value: int = 0
    rescanned_at: float = field(default_factory=time.monotonic)

    def start(self) -> int:
        if not postgres():
            return 0  # SQLite removes index entries at once (and may reuse the ids of rolled-back rows)
        if time.monotonic() - self.rescanned_at > RESCAN_S:
            self.value, self.rescanned_at = 0, time.monotonic()
        return self.value

    def passed(self, ids: Sequence[int]) -> None:
        if ids:
            self.value = max(self.value, ids[-1] + 1)
        else:
            self.value, self.rescanned_at = 0, time.monotonic()


RESCAN_S: Final = 10.0
_floor = _Floor()


def _claim(batch: int, *, backlog_only: bool = False) -> list[Payload]:
    """Lock the oldest pending payloads no other worker holds: up to ``batch`` of them, or about
    BATCH_SIGNALS alerts (at least one payload). With ``backlog_only``, none unless BATCH_SIGNALS
    alerts wait or the oldest payload has waited HELP_AFTER_S.

    The rows are counted first without locks, then that many are locked in the same order with
    ``SKIP LOCKED``: a worker that finds the oldest ones taken takes the next ones instead of
    nothing. (Locking all ``batch`` candidates would leave a second worker nothing to take while
    the first used a few; selecting ids first and locking them after made it find them taken.)
    """
    start = _floor.start()
    pending = Payload.objects.filter(status=PayloadStatus.PENDING, pk__gte=start).order_by("id")
    waiting = list(pending.values_list("signals", "received_at")[:batch])
    wanted = _fitting(count for count, _ in waiting)
    if backlog_only and waiting and not _backlog(waiting):
        return []
    claimed = (
        list(pending.select_for_update(skip_locked=True, of=("self",)).select_related("source")[:wanted])
        if wanted
        else []
    )
    _floor.passed([payload.pk for payload in claimed])
    if not claimed and start:
        return _claim(batch, backlog_only=backlog_only)  # nothing above the floor: look from the start
    return claimed


def _backlog(waiting: Sequence[tuple[int, datetime]]) -> bool:
    """Whether these pending payloads (signal count, arrival; oldest first) are a backlog."""
    return sum(count for count, _ in waiting) >= BATCH_SIGNALS or waiting[0][1] < clock.now() - HELP_SPAN


def _fitting(counts: Iterable[int]) -> int:
    """How many payloads, oldest first, fit in BATCH_SIGNALS alerts (at least one when there are any)."""
    taken = signals = 0
    for count in counts:
        if taken and signals + count > BATCH_SIGNALS:
            break
        taken += 1
        signals += count
    return taken


def _signals_of(payload: Payload) -> list[AlertSignal | ChangeSignal]:
    try:
        signals = read_stored(payload)
    except MalformedPayload as problem:
        # Accepted once, refused now: the parser changed. Kept for a replay after the fix.
        logger.warning("payload %s no longer parses: %s", payload.pk, problem.message)
        payload.status = PayloadStatus.FAILED
        payload.error = problem.message
        return []
    payload.signals = len(signals)
    return signals


def _record_changes(payload: Payload, changes: Sequence[ChangeSignal]) -> None:
    for change in changes[:1]:  # a change event is one per request
        ChangeEvent.objects.get_or_create(
            payload=payload,
            defaults={
                "source": payload.source,
                "summary": change.summary[:1024],
                "reported_by": change.source[:255],
                "at": change.at,
                "links": [{"href": link.href, "text": link.text} for link in change.links],
                "details": dict(change.details),
            },
        )


def replay(payload_ids: Sequence[int]) -> int:
    """Put stored payloads back in the queue, rejected ones included (after a parser fix). An alert a
    payload already changed is not changed again by it (``Alert.last_payload_id``)."""
    payloads = Payload.objects.filter(pk__in=payload_ids)
    with transaction.atomic():
        # Only a payload that was applied once is a replay; a rejected or failed one is news to the alerts.
        payloads.filter(status=PayloadStatus.PROCESSED).update(replayed=True)
        return payloads.update(status=PayloadStatus.PENDING, processed_at=None, error="")
