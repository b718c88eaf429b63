"""Monitoring sources and their secrets: add, change, rotate the secret, revoke, send a test event.

Every change is audited (subject ``source``) field by field; a secret never is, only that it was
rotated. Keyword-only, explicit actor (``None`` = Keel itself, e.g. the CLI).
"""

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson
from django.conf import settings
from django.db import transaction

from keel.accounts.models import Team, User, hash_token
from keel.audit.actions import create_audited, hold_to, lock_revision, next_revision, record_changes, update_audited
from keel.integrations.actions._setup import check_manager, claiming_name, refuse_taken_name
from keel.integrations.actions.intake import Received, receive_for
from keel.integrations.inbound.generic.mapping import FieldMapping
from keel.integrations.inbound.parsed import MalformedPayload
from keel.integrations.inbound.samples import test_event
from keel.integrations.models import Source
from keel.integrations.states import SourceKind
from keel.lib import clock
from keel.lib.conditional import IfMatch
from keel.lib.errors import Conflict, InvalidInput

SUBJECT: Final = "source"
# What people set on a source (the admin's form takes these); Keel stamps the rest.
SOURCE_FIELDS: Final = (
    "name",
    "kind",
    "description",
    "mapping",
    "identity_labels",
    "expire_after_s",
    "assignment_group",
)
# A source sends as what it is: its kind never changes.
CHANGEABLE: Final = frozenset(SOURCE_FIELDS) - {"kind"}


@dataclass(frozen=True)
class IssuedSecret:
    """A source with its secret, which Keel shows this once (only its hash is stored)."""

    source: Source
    secret: str

    @property
    def url(self) -> str:
        return inbound_url(self.source, self.secret)


def inbound_url(source: Source, secret: str) -> str:
    """The URL the source posts to; for PagerDuty-style sources the base URL (the secret is the routing key)."""
    base = f"{settings.KEEL_BASE_URL}/integrations"
    match source.kind:
        case SourceKind.PAGERDUTY:
            return f"{base}/pagerduty"
        case SourceKind.PROMETHEUS:
            return f"{base}/prometheus/{secret}/api/v2/alerts"
        case _:
            return f"{base}/{source.kind}/{secret}"


def _new_secret(kind: str) -> str:
    # PagerDuty's clients expect a 32-character integration key.
    return secrets.token_hex(16) if kind == SourceKind.PAGERDUTY else secrets.token_urlsafe(24)


def create_source(
    *,
    actor: User | None,
    name: str,
    kind: str,
    description: str = "",
    mapping: Mapping[str, Any] | None = None,
    identity_labels: Sequence[str] = (),
    expire_after_s: int = 0,
    assignment_group: Team | None = None,
) -> IssuedSecret:
    """Register a monitoring tool; returns it with its secret (shown once)."""
    check_manager(actor)
    name = " ".join(str(name).split())
    if not name:
        raise InvalidInput("Give the source a name, e.g. 'prod-alertmanager'.", field="name")
    if kind not in SourceKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(SourceKind.values)} (got {kind!r}).", field="kind")
    fields = _source_fields(kind, mapping=mapping, identity_labels=identity_labels, expire_after_s=expire_after_s)
    refuse_taken_name(Source.objects.all(), name, what="source")
    secret = _new_secret(kind)
    source = Source(
        name=name,
        kind=kind,
        description=description,
        assignment_group=assignment_group,
        token_hash=hash_token(secret),
        token_prefix=secret[:8],
        created_at=clock.now(),
        created_by=actor,
        **fields,
    )
    with claiming_name("source", name):
        create_audited(source, subject_type=SUBJECT, actor=actor)
    return IssuedSecret(source=source, secret=secret)


def check_source_settings(
    kind: str, *, mapping: Mapping[str, Any] | None, identity_labels: Sequence[str], expire_after_s: int
) -> dict[str, Any]:
    """The settings a source of this kind would be saved with; InvalidInput naming the bad one (the
    admin's form checks with it before saving)."""
    return _source_fields(kind, mapping=mapping, identity_labels=identity_labels, expire_after_s=expire_after_s)


def _source_fields(
    kind: str, *, mapping: Mapping[str, Any] | None, identity_labels: Sequence[str], expire_after_s: int
) -> dict[str, Any]:
    if kind == SourceKind.GENERIC:
        FieldMapping.from_config(mapping or {})  # refuses a mapping it cannot read, saying what to change
    elif mapping:
        raise InvalidInput("Only generic sources take a field mapping.", field="mapping")
    labels = [str(label).strip() for label in identity_labels]
    if not all(labels) or not isinstance(identity_labels, Sequence) or isinstance(identity_labels, str):
        raise InvalidInput(
            'identity_labels must be a list of label names, e.g. ["alertname", "instance"].', field="identity_labels"
        )
    if not 0 <= int(expire_after_s) <= 30 * 86400:
        raise InvalidInput("expire_after_s must be between 0 (never) and 2592000 (30 days).", field="expire_after_s")
    return {"mapping": dict(mapping or {}), "identity_labels": labels, "expire_after_s": int(expire_after_s)}


def update_source(
    source: Source, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None = None
) -> Source:
    """Change a source's name, description, mapping, identity labels, expiry or assignment group."""
    check_manager(actor)
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise InvalidInput(f"These cannot be changed: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    merged = {
        "mapping": changes.get("mapping", source.mapping),
        "identity_labels": changes.get("identity_labels", source.identity_labels),
        "expire_after_s": changes.get("expire_after_s", source.expire_after_s),
    }
    fields = {
        **{k: v for k, v in changes.items() if k in {"name", "description", "assignment_group"}},
        **_source_fields(source.kind, **merged),
    }
    if "name" in fields:
        if not str(fields["name"]).strip():
            raise InvalidInput("A source needs a name.", field="name")
        refuse_taken_name(Source.objects.all(), fields["name"], what="source", but=source.pk)
    with claiming_name("source", fields.get("name", source.name)):
        update_audited(source, fields, subject_type=SUBJECT, actor=actor, allowed=CHANGEABLE, if_match=if_match)
    return source


def rotate_secret(source: Source, *, actor: User | None, if_match: IfMatch | None = None) -> IssuedSecret:
    """Give the source a new secret: the old URL (or routing key) stops working at once. A revoked
    source gets none."""
    check_manager(actor)
    if source.revoked_at is not None:
        raise InvalidInput(f"{source.name} is revoked; a revoked source gets no new secret. Add a new source.")
    secret = _new_secret(source.kind)
    with transaction.atomic():
        lock_revision(source, if_match)
        source.token_hash, source.token_prefix = hash_token(secret), secret[:8]
        source.save(update_fields=["token_hash", "token_prefix", *next_revision(source)])
        # Not the hashes: the audit trail says that it changed and which secret is current.
        rotated = [("secret", "…", f"{secret[:8]}… (rotated)")]
        record_changes(subject_type=SUBJECT, subject_id=source.pk, actor=actor, changes=rotated)
    return IssuedSecret(source=source, secret=secret)


def revoke_source(source: Source, *, actor: User | None, if_match: IfMatch | None = None) -> Source:
    """Stop accepting anything from the source (its alerts and history stay). Revoking twice is a no-op."""
    check_manager(actor)
    if source.revoked_at is not None:
        hold_to(source, if_match)
        return source
    revoked = {"revoked_at": clock.now()}
    update_audited(source, revoked, subject_type=SUBJECT, actor=actor, allowed={"revoked_at"}, if_match=if_match)
    return source


def send_test_event(source: Source, *, actor: User | None, if_match: IfMatch | None = None) -> Received:
    """Store an event of the source's own kind as if the source had sent it (inbound/samples.py): it
    is processed like any other, so it shows whether the source's alerts arrive and how they read.

    A revoked source takes nothing (Conflict). A generic source whose mapping cannot read its test
    event is refused with the parser's reason (MalformedPayload), and the event is kept as rejected.
    Audited as ``test_event`` (the payload it made, or why it was refused), with the payload.
    """
    check_manager(actor)
    hold_to(source, if_match)  # the event changes no field of the source: its read needs no lock
    if source.revoked_at is not None:
        raise Conflict(f"{source.name} is revoked and accepts nothing, test events included; create a new source.")
    document = test_event(source, sent_by=str(actor) if actor is not None else "Keel", now=clock.now())
    refused: MalformedPayload | None = None
    with transaction.atomic():
        try:
            received = receive_for(source, body=orjson.dumps(document), user_agent="Keel test event")
        except MalformedPayload as refusal:
            refused = refusal  # kept as rejected, and audited so, before the refusal is answered
        sent = f"refused: {refused.message}" if refused else f"payload #{received.payload_id}"
        record_changes(subject_type=SUBJECT, subject_id=source.pk, actor=actor, changes=[("test_event", "", sent)])
    if refused is not None:
        raise refused
    return received
