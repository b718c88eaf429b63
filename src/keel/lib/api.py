"""API glue shared by every app's router: JSON errors that say what to fix, ISO 8601 UTC times."""

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, NinjaAPI, Status
from ninja.errors import AuthenticationError, ValidationError
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from keel.lib.conditional import HEADER as IF_MATCH
from keel.lib.conditional import IfMatch, parse_if_match, quoted
from keel.lib.errors import InvalidInput, KeelError


def iso_utc(value: datetime) -> str:
    """The API's time format, fixed width so that every reader parses one shape and the texts sort
    as the times do: 2026-11-27T18:00:00.000000Z. A naive datetime is UTC (Django's SQLite
    storage). Reads get the same text from the database (``lib.sql.api_time``)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


UtcDateTime = Annotated[datetime, PlainSerializer(iso_utc, return_type=str)]


def check_page(limit: int, offset: int, *, most: int = 100) -> None:
    """Refuse a page that is not ``1 ≤ limit ≤ most``, ``offset ≥ 0``, naming the parameter."""
    if not 1 <= limit <= most:
        raise InvalidInput(f"limit must be between 1 and {most} (got {limit}).", field="limit")
    if offset < 0:
        raise InvalidInput(f"offset must be 0 or more (got {offset}).", field="offset")


def refuse_nulls(data: Mapping[str, Any], *, nullable: Collection[str] = ()) -> None:
    """A change that sends null for a field that cannot be empty is refused, naming the field."""
    for name, value in data.items():
        if value is None and name not in nullable:
            raise InvalidInput(f"{name} cannot be empty; leave it out to keep it.", field=name)


def created[T](response: HttpResponse, location: str, body: T, *, tag: str | None = None) -> Status[T]:
    """A 201 answer with the new resource's address in ``Location`` (and its entity tag in ``ETag``)."""
    response["Location"] = location
    if tag is not None:
        response["ETag"] = quoted(tag)
    return Status(201, body)


def error_body(message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"message": message, "field": field, **extra}


def install_error_handlers(api: NinjaAPI) -> None:
    def keel_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, error_body(exc.message, exc.field, **exc.details), status=exc.status)

    def validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        problems = [_explain(error) for error in exc.errors]
        first_field, first_message = problems[0] if problems else (None, "The request is not valid.")
        errors = [{"field": field, "message": message} for field, message in problems]
        return api.create_response(request, error_body(first_message, first_field, errors=errors), status=400)

    def unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        message = (
            "Send a valid API token as 'Authorization: Bearer <token>' (create one with: keel token create <username>)."
        )
        return api.create_response(request, error_body(message), status=401)

    api.add_exception_handler(KeelError, keel_error)
    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(AuthenticationError, unauthenticated)


def _explain(error: dict[str, Any]) -> tuple[str | None, str]:
    loc = list(error.get("loc", ()))
    if loc and loc[0] in {"file", "form", "header"}:
        loc = loc[1:]  # where a multipart or header parameter came from: (source, name)
    location = [str(part) for part in loc if part not in {"body", "payload", "query", "path"}]
    field = ".".join(location) or None
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return field, f"Unknown field {field!r}; remove it (see /api/v1/docs for the fields this call takes)."
    if kind == "missing":
        return field, f"{field} is required."
    if kind == "json_invalid":
        return None, "The body is not valid JSON; send a JSON object."
    given = error.get("input")
    suffix = f" (got {given!r})" if given is not None and not isinstance(given, dict | list) else ""
    return field, f"{field}: {error.get('msg', 'invalid value')}{suffix}."


def _if_match_header(value: object) -> IfMatch | None:
    return parse_if_match(str(value)) if value is not None else None


# An endpoint that changes a record takes ``if_match: IfMatchHeader = None``: the header declared
# in the OpenAPI document and parsed (400 naming it when malformed); its action checks it.
IfMatchHeader = Annotated[
    IfMatch | None,
    PlainValidator(_if_match_header),
    WithJsonSchema({"type": "string"}),
    # ninja reads the parameter's source from the last item.
    Header(
        None,
        alias=IF_MATCH,
        description=(
            'Change only if the record is still at this version: the ETag you read, e.g. "3" '
            "(a list of tags, or *). Otherwise 412 and nothing changes."
        ),
    ),
]


def tagged[T](response: HttpResponse, tag: str, body: T) -> T:
    """An answer about one record, with its entity tag in ``ETag`` (what If-Match sends back)."""
    response["ETag"] = quoted(tag)
    return body
