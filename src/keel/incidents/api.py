"""REST API v1 for incidents: parse, call one action or query, render."""

from collections.abc import Set as AbstractSet
from functools import partial
from typing import Annotated, Any, Final, Protocol

import orjson
from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from keel.accounts.api import user_of
from keel.accounts.models import Team, User
from keel.accounts.queries import team_by_reference, team_ids_by_reference, user_by_reference, user_ids_by_reference
from keel.activity.models import Attachment, TimelineEntry
from keel.activity.queries import timeline_of
from keel.cmdb.queries import ci_by_reference, get_ci, service_by_reference
from keel.idempotency.api import idempotent
from keel.incidents.actions._record import SUBJECT
from keel.incidents.actions.assignment import escalate_incident
from keel.incidents.actions.conversation import add_comment, attach_file
from keel.incidents.actions.escalation import acknowledge_incident, escalate_to_manager
from keel.incidents.actions.lifecycle import transition_incident
from keel.incidents.actions.records import open_incident, update_incident
from keel.incidents.actions.routing import reroute_incident
from keel.incidents.models import Incident
from keel.incidents.permissions import can_see_impact_proposal, can_see_work_notes
from keel.incidents.queries.context import proposal_for
from keel.incidents.queries.documents import (
    document_of,
    incident_document,
    incident_document_for,
    incident_document_page,
)
from keel.incidents.queries.listing import IncidentFilters
from keel.incidents.queries.records import (
    attachment_for,
    attachments_for,
    category_by_reference,
    get_incident_for,
    parent_for,
)
from keel.incidents.queries.routing import Report, preview_routing
from keel.incidents.schemas import (
    AttachmentOut,
    CommentIn,
    EscalateIn,
    ImpactProposalOut,
    IncidentIn,
    IncidentListOut,
    IncidentOut,
    IncidentPatch,
    RoutingTestIn,
    RoutingTestOut,
    SlaClockDetailOut,
    TimelineEntryOut,
    TransitionIn,
)
from keel.incidents.states import IncidentOrder, IncidentState, Level, Priority
from keel.lib.api import FormFlag, IfMatchHeader, created, page_limit, page_offset, several_of
from keel.lib.conditional import quoted
from keel.lib.errors import InvalidInput, NotAllowed
from keel.routing.decide import LEVEL_NAMES, AlertOrigin
from keel.routing.permissions import can_read_routing
from keel.sla.queries import incident_sla_panel

router = Router(tags=["incidents"])

LEVELS = {"high": Level.HIGH, "medium": Level.MEDIUM, "low": Level.LOW}
# A download is the file's bytes, whatever its type: never rendered by a browser as a page.
DOWNLOAD: Final = {
    "responses": {
        "200": {
            "description": "The attached file.",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


class ListQuery(Schema):
    state: str | None = several_of(IncidentState.values)
    priority: str | None = several_of(Priority.names)
    assignment_group: str | None = None
    assignee: str | None = None
    q: str | None = None
    order: IncidentOrder = IncidentOrder.NEWEST
    limit: int = page_limit()
    offset: int = page_offset()


@router.post("/incidents", response={201: IncidentOut})
@idempotent
def create(request: HttpRequest, payload: IncidentIn) -> HttpResponse:
    actor = user_of(request)
    incident = open_incident(actor=actor, **_report(payload, actor=actor))
    # Everything the answer shows is in memory after open_incident: no read back on the hot path.
    answer = _json_answer(incident_document(incident), status=201)
    answer["Location"] = f"/api/v1/incidents/{incident.number}"
    return answer


@router.post("/routing/test", response=RoutingTestOut)
def test_routing(request: HttpRequest, payload: RoutingTestIn) -> dict[str, Any]:
    """Which routing rule would take an incident logged with these fields, and why each rule before
    it would not (IT staff). Nothing is written."""
    actor = user_of(request)
    if not can_read_routing(actor):
        raise NotAllowed("Only IT staff can try the routing rules.")
    origin = AlertOrigin(source_id=payload.source_id, labels=payload.labels) if payload.source_id else None
    fields = _report(payload, actor=actor, besides={"source_id", "labels"})
    impact, urgency = fields.pop("impact"), fields.pop("urgency")
    preview = preview_routing(Report(origin=origin, **fields), impact=impact, urgency=urgency)
    rule, group = preview.routing.rule, preview.group()
    return {
        "rule": {"id": rule.id, "name": rule.name} if rule else None,
        "assignment_group": {"id": group.pk, "slug": group.slug, "name": group.name} if group else None,
        "impact": LEVEL_NAMES[preview.impact],
        "urgency": LEVEL_NAMES[preview.urgency],
        "priority": preview.priority,
        "not_matched": [
            {"rule": {"id": miss.rule.id, "name": miss.rule.name}, "reason": miss.reason}
            for miss in preview.routing.misses
        ],
    }


@router.get("/incidents", response=IncidentListOut)
def list_incidents(request: HttpRequest, filters: Query[ListQuery]) -> HttpResponse:
    page = incident_document_page(user_of(request), _parse_filters(filters), offset=filters.offset, limit=filters.limit)
    return _json_answer(
        {
            "items": page.items,
            "count": page.count,
            "count_is_capped": page.count_is_capped,
            "offset": page.offset,
            "limit": page.limit,
        }
    )


@router.get("/incidents/{number}", response=IncidentOut)
def detail(request: HttpRequest, number: str) -> HttpResponse:
    return _json_answer(incident_document_for(user_of(request), number))


@router.patch("/incidents/{number}", response=IncidentOut)
def patch(request: HttpRequest, number: str, payload: IncidentPatch, if_match: IfMatchHeader = None) -> HttpResponse:
    actor = user_of(request)
    incident = get_incident_for(actor, number)
    data = payload.model_dump(exclude_unset=True)
    if "state" in data:
        raise InvalidInput(
            f'state cannot be set here; POST /api/v1/incidents/{incident.number}/transitions with {{"to": "..."}}.',
            field="state",
        )
    if "priority" in data:
        raise InvalidInput("priority is computed from impact and urgency; change those instead.", field="priority")
    changes: dict[str, Any] = {key: data[key] for key in ("title", "description", "channel") if key in data}
    changes.update({key: LEVELS[data[key]] for key in ("impact", "urgency") if key in data})
    changes.update(_references(data, user=actor))
    incident = update_incident(incident, actor=actor, changes=changes, if_match=if_match)
    return _reread(incident)


@router.post("/incidents/{number}/transitions", response=IncidentOut)
def transition(
    request: HttpRequest, number: str, payload: TransitionIn, if_match: IfMatchHeader = None
) -> HttpResponse:
    actor = user_of(request)
    incident = get_incident_for(actor, number)
    group = team_by_reference(payload.assignment_group) if payload.assignment_group is not None else None
    incident = transition_incident(
        incident,
        payload.to,
        actor=actor,
        note=payload.note,
        resolution_code=payload.resolution_code,
        resolution_notes=payload.resolution_notes,
        hold_reason=payload.hold_reason,
        assignment_group=group,
        if_match=if_match,
    )
    return _reread(incident)


@router.post("/incidents/{number}/escalate", response=IncidentOut)
def escalate(request: HttpRequest, number: str, payload: EscalateIn, if_match: IfMatchHeader = None) -> HttpResponse:
    """Escalate the incident: functionally to the next tier of the group that holds it, or
    hierarchically to that group's manager, who is told and watches it (409 when there is none)."""
    actor = user_of(request)
    incident = get_incident_for(actor, number)
    escalate = escalate_to_manager if payload.to == "manager" else escalate_incident
    incident = escalate(incident, actor=actor, note=payload.note, if_match=if_match)
    return _reread(incident)


@router.post("/incidents/{number}/acknowledge", response=IncidentOut)
def acknowledge(request: HttpRequest, number: str, if_match: IfMatchHeader = None) -> HttpResponse:
    """Answer the incident's pages ("I am on it"): they stop escalating, the first response is
    recorded, and an incident nobody holds goes to you when you are in its group (409 when no page
    is waiting)."""
    actor = user_of(request)
    incident = acknowledge_incident(get_incident_for(actor, number), actor=actor, if_match=if_match)
    return _reread(incident)


@router.post("/incidents/{number}/reroute", response=IncidentOut)
def reroute(request: HttpRequest, number: str, if_match: IfMatchHeader = None) -> HttpResponse:
    """Ask the routing rules again where the incident belongs as it is now, and move it there (409
    when no rule matches; unchanged when its group is the one they name)."""
    actor = user_of(request)
    incident = reroute_incident(get_incident_for(actor, number), actor=actor, if_match=if_match)
    return _reread(incident)


@router.post("/incidents/{number}/comments", response={201: TimelineEntryOut})
@idempotent
def comment(
    request: HttpRequest, number: str, payload: CommentIn, if_match: IfMatchHeader = None
) -> Status[dict[str, Any]]:
    actor = user_of(request)
    incident = get_incident_for(actor, number)
    entry = add_comment(incident, actor=actor, body=payload.body, public=payload.public, if_match=if_match)
    return Status(201, entry_json(entry))


# The file's types as the document declares them (the part's Content-Type, or its name's extension).
UPLOAD: Final = {
    "requestBody": {
        "content": {
            "multipart/form-data": {"encoding": {"file": {"contentType": ", ".join(settings.KEEL_ATTACHMENT_TYPES)}}}
        }
    }
}


@router.post("/incidents/{number}/attachments", response={201: AttachmentOut}, openapi_extra=UPLOAD)
@idempotent
def attach(
    request: HttpRequest,
    number: str,
    *,
    response: HttpResponse,
    file: File[UploadedFile],
    public: Annotated[FormFlag, Form(True)] = True,
    if_match: IfMatchHeader = None,
) -> Status[dict[str, Any]]:
    """Attach a file (multipart/form-data, field ``file``) within the console's size and type limits;
    ``public: false`` makes it a work-note file only IT staff see."""
    actor = user_of(request)
    incident = get_incident_for(actor, number)
    attachment = attach_file(incident, actor=actor, upload=file, public=public, if_match=if_match)
    location = f"/api/v1/incidents/{incident.number}/attachments/{attachment.pk}"
    return created(response, location, attachment_json(attachment))


@router.get("/incidents/{number}/attachments", response=list[AttachmentOut])
def attachments(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    user = user_of(request)
    return [attachment_json(attachment) for attachment in attachments_for(user, get_incident_for(user, number))]


@router.get("/incidents/{number}/attachments/{attachment_id}", openapi_extra=DOWNLOAD)
def download(request: HttpRequest, number: str, attachment_id: str) -> FileResponse:
    """The file itself, always as a download of bytes (its type is in the attachment's answer)."""
    user = user_of(request)
    attachment = attachment_for(user, get_incident_for(user, number), attachment_id)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )


@router.get("/incidents/{number}/timeline", response=list[TimelineEntryOut])
def timeline(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    user = user_of(request)
    incident = get_incident_for(user, number)
    entries = timeline_of(SUBJECT, incident.pk, include_private=can_see_work_notes(user))
    return [entry_json(entry) for entry in entries]


@router.get("/incidents/{number}/sla", response=list[SlaClockDetailOut])
def sla(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """Each SLA clock of the incident (current and replaced ones) with its full history."""
    incident = get_incident_for(user_of(request), number)
    return incident_sla_panel(incident.pk)


@router.get("/cis/{reference}/proposal", response=ImpactProposalOut)
def impact_proposal(request: HttpRequest, reference: str) -> dict[str, Any]:
    """The impact Keel would give a new incident on this CI (what ``POST /incidents`` without impact takes)."""
    if not can_see_impact_proposal(user_of(request)):
        raise NotAllowed("Keel's impact proposal is for the service desk: it counts the incidents open on the CI.")
    found = proposal_for(get_ci(reference))
    return {
        "ci": {"id": found.ci.pk, "name": found.ci.name},
        "impact": found.proposal.impact.value,
        "reasons": list(found.proposal.reasons),
        "services": [
            {
                "id": service.pk,
                "name": service.name,
                "users": service.users,
                "criticality": service.criticality,
                "distance": distance,
            }
            for service, distance in found.services
        ],
        "users": found.users,
        "open_incidents": found.open_incidents,
    }


# --- rendering -----------------------------------------------------------------------------


def _reread(incident: Incident) -> HttpResponse:
    """Answer a change with the incident as a read shows it: one rendering for both."""
    return _json_answer(document_of(incident))


def _json_answer(body: dict[str, Any], *, status: int = 200) -> HttpResponse:
    # Built as the schema says (queries/documents.py; tests/incidents/test_api_schema.py holds each
    # answer to it): encoded by orjson and sent as is, so ninja does not validate the documents
    # again. A document carries its ETag.
    answer = HttpResponse(orjson.dumps(body), status=status, content_type="application/json")
    if "version" in body:
        answer["ETag"] = quoted(str(body["version"]))
    return answer


def entry_json(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "at": entry.at,
        "kind": entry.kind,
        "summary": entry.summary,
        "body": entry.body,
        "public": entry.is_public,
        "actor": _person(entry.actor),
        "data": entry.data,
    }


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "public": attachment.is_public,
        "uploaded_at": attachment.uploaded_at,
        "uploaded_by": _person(attachment.uploaded_by),
    }


def _person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "username": user.username, "name": str(user)}


# --- parsing -------------------------------------------------------------------------------


class _Resolver(Protocol):
    def __call__(self, reference: str | int, *, field: str) -> Any: ...


def _team(reference: str | int, *, field: str) -> Team:
    return team_by_reference(reference)  # its error always names assignment_group, the one team field


# The body's fields that name a record (an id or a name), each with how it is found.
RESOLVERS: Final[dict[str, _Resolver]] = {
    "caller": user_by_reference,
    "category": category_by_reference,
    "subcategory": category_by_reference,
    "service": service_by_reference,
    "ci": ci_by_reference,
    "assignment_group": _team,
    "assignee": user_by_reference,
}


def _report(
    payload: IncidentIn | RoutingTestIn, *, actor: User, besides: AbstractSet[str] = frozenset()
) -> dict[str, Any]:
    """A new incident's fields as ``open_incident`` (and the rule tester) take them: references as
    records, levels as ``Level``, the token's user as the caller when none is named."""
    references = _references(payload.model_dump(exclude_unset=True, exclude=set(besides)), user=actor)
    return {
        "caller": references.pop("caller", None) or actor,
        "title": payload.title,
        "description": payload.description,
        "channel": payload.channel,
        "impact": LEVELS[payload.impact] if payload.impact is not None else None,
        "urgency": LEVELS[payload.urgency],
        **references,
    }


def _references(data: dict[str, Any], *, user: User) -> dict[str, Any]:
    """Resolve the reference fields present in ``data`` (ids or names) to records; null stays None.
    A parent is one of the incidents ``user`` may see (``parent_for``)."""
    resolvers: dict[str, _Resolver] = {**RESOLVERS, "parent": partial(parent_for, user)}
    found = {key: data[key] for key in resolvers if key in data}
    return {key: None if value is None else resolvers[key](value, field=key) for key, value in found.items()}


def _parse_filters(query: ListQuery) -> IncidentFilters:
    return IncidentFilters(
        states=_parse_states(query.state),
        priorities=_parse_priorities(query.priority),
        assignment_group_ids=team_ids_by_reference(_split(query.assignment_group)),
        assignee_ids=user_ids_by_reference(_split(query.assignee), field="assignee"),
        text=(query.q or "").strip(),
        order=query.order,
    )


def _parse_states(raw: str | None) -> tuple[IncidentState, ...]:
    names = _split(raw)
    unknown = [name for name in names if name not in IncidentState.values]
    if unknown:
        raise InvalidInput(
            f"Unknown state {unknown[0]!r}; use one of {', '.join(IncidentState.values)}.", field="state"
        )
    return tuple(IncidentState(name) for name in names)


def _parse_priorities(raw: str | None) -> tuple[Priority, ...]:
    names = [name.upper() for name in _split(raw)]
    unknown = [name for name in names if name not in Priority.names]
    if unknown:
        raise InvalidInput(f"Unknown priority {unknown[0]!r}; use P1 to P5.", field="priority")
    return tuple(Priority[name] for name in names)


def _split(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]
