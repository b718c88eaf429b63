"""Monitoring sources over the API: list, create (the secret shown once), read, change, revoke,
rotate the secret, send a test event, the latest payloads."""

from collections.abc import Callable, Mapping
from typing import Any, Final

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from keel.accounts.models import User
from keel.accounts.queries import team_by_reference
from keel.idempotency.api import idempotent
from keel.integrations.actions import sources as actions
from keel.integrations.api.common import manager, reader, with_records
from keel.integrations.api.documents import issued_json, source_json
from keel.integrations.inbound.generic.presets import PRESETS
from keel.integrations.inbound.parsed import MalformedPayload
from keel.integrations.models import Source
from keel.integrations.queries.sources import get_source, recent_payloads, sources
from keel.integrations.schemas import IssuedSourceOut, PayloadOut, SourceIn, SourceOut, SourcePatch, TestEventOut
from keel.lib.api import IfMatchHeader, created, tagged
from keel.lib.conditional import IfMatch
from keel.lib.errors import InvalidInput
from keel.lib.resources import Access, Resources

router = Router(tags=["monitoring"])
resource = Resources(router, __name__, Access(read=reader, write=manager, once=idempotent))

_REFERENCES: Final[Mapping[str, Callable[[Any], Any]]] = {"assignment_group": team_by_reference}


SOURCES = resource("/sources", one="source", many="sources", find=get_source, document=source_json, out=SourceOut)
SOURCES.listing(lambda: sources().select_related("created_by"))


@router.post("/sources", response={201: IssuedSourceOut})
def create_source(request: HttpRequest, payload: SourceIn, response: HttpResponse) -> Status[dict[str, Any]]:
    actor = manager(request)
    data = payload.model_dump()
    if data["preset"] is not None and data["mapping"] is not None:
        raise InvalidInput(
            "Give a mapping or a preset, not both (a preset is a mapping to start from).", field="preset"
        )
    preset = data.pop("preset")
    if preset is not None:
        data["mapping"] = dict(PRESETS[preset])
    issued = actions.create_source(actor=actor, **with_records(data, _REFERENCES))
    source = issued.source
    return created(response, f"/api/v1/sources/{source.pk}", issued_json(issued), tag=source.entity_tag)


def _update_source(
    source: Source, *, actor: User | None, changes: Mapping[str, Any], if_match: IfMatch | None
) -> Source:
    if "kind" in changes:
        raise InvalidInput("kind cannot change: add a new source of the other kind instead.", field="kind")
    return actions.update_source(source, actor=actor, changes=with_records(changes, _REFERENCES), if_match=if_match)


SOURCES.reading()
SOURCES.changing(SourcePatch, _update_source)


@router.delete(SOURCES.item, response=SourceOut)
def revoke_source(
    request: HttpRequest, reference: str, response: HttpResponse, if_match: IfMatchHeader = None
) -> dict[str, Any]:
    """Revoke: Keel refuses whatever the source sends from now on; its alerts and payloads stay."""
    source = actions.revoke_source(get_source(reference), actor=manager(request), if_match=if_match)
    return SOURCES.answer(response, source)


@router.post("/sources/{reference}/rotate", response=IssuedSourceOut)
def rotate_secret(
    request: HttpRequest, reference: str, response: HttpResponse, if_match: IfMatchHeader = None
) -> dict[str, Any]:
    actor = manager(request)
    issued = actions.rotate_secret(get_source(reference), actor=actor, if_match=if_match)
    return tagged(response, issued.source.entity_tag, issued_json(issued))


@router.post("/sources/{reference}/test", response={202: TestEventOut})
@idempotent
def send_test_event(request: HttpRequest, reference: str, if_match: IfMatchHeader = None) -> Status[dict[str, Any]]:
    actor = manager(request)
    source = get_source(reference)
    try:
        received = actions.send_test_event(source, actor=actor, if_match=if_match)
    except MalformedPayload as refusal:
        raise InvalidInput(
            f"Keel stored the test event, but the source's field mapping cannot read it: {refusal.message}",
            field="mapping",
        ) from refusal
    message = f"Stored as payload {received.payload_id}; Keel processes it like any other, within seconds."
    return Status(202, {"payload": received.payload_id, "alerts": len(received.signals), "message": message})


@router.get("/sources/{reference}/payloads", response=list[PayloadOut])
def source_payloads(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    reader(request)
    return [
        {
            "id": payload.pk,
            "received_at": payload.received_at,
            "status": payload.status,
            "error": payload.error,
            "signals": payload.signals,
        }
        for payload in recent_payloads(get_source(reference), limit=50)
    ]
