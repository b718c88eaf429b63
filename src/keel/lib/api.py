"""API glue shared by every app's router: JSON errors that say what to fix, ISO 8601 UTC times."""

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from ninja import Header, NinjaAPI, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
)

from keel.lib import text
from keel.lib.conditional import HEADER as IF_MATCH
from keel.lib.conditional import IfMatch, parse_if_match, quoted
from keel.lib.errors import InvalidInput, KeelError, UnsupportedMediaType
from keel.lib.failures import (
    FORBIDDEN,
    NOT_FOUND,
    UNSUPPORTED_JSON,
    json_error,
    server_error,
    too_large_message,
)
from keel.lib.paging import MAX_OFFSET


def iso_utc(value: datetime) -> str:
    """The API's time format, fixed width so that every reader parses one shape and the texts sort
    as the times do: 2026-11-27T18:00:00.000000Z. A naive datetime is UTC (Django's SQLite
    storage). Reads get the same text from the database (``lib.sql.api_time``)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


UtcDateTime = Annotated[datetime, PlainSerializer(iso_utc, return_type=str)]


def _iso_time(value: object) -> object:
    # pydantic would also read a number as seconds since 1970: a parameter documented as a time is
    # an ISO 8601 text (or a date, its midnight).
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"must be a time like 2026-11-01T09:30:00Z or a date like 2026-11-01 (got {value!r})"
            ) from None
    return value


# A time given as text in a query: ISO 8601 only.
IsoTime = Annotated[datetime, BeforeValidator(_iso_time)]


def _as_text(value: object) -> object:
    # JSON Schema's integer includes 42.0: an id may come as either number.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Body(BaseModel):
    """What a client sends in a JSON body: a field the schema does not list is refused, naming it."""

    model_config = ConfigDict(extra="forbid")


# A yes/no field of a JSON body: true or false only (pydantic alone would also take 0, 1, "yes").
Flag = StrictBool


def _form_flag(value: object) -> object:
    if isinstance(value, str):
        if value not in {"true", "false"}:
            raise ValueError(f"must be true or false (got {value!r})")
        return value == "true"
    return value


# A yes/no field of a multipart form, where every value is text: "true" or "false" only.
FormFlag = Annotated[StrictBool, BeforeValidator(_form_flag)]


# A record named in a body: its id (a number or digits) or its name, slug or username, read as text
# (lib/references.py tells them apart). One type, not a union, so that a refusal names the field
# alone ("caller", not "caller.int").
Reference = Annotated[
    str,
    BeforeValidator(_as_text),
    StringConstraints(min_length=1),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "minLength": 1}]}),
]


# The largest whole number the databases store in an integer column (PostgreSQL's ``integer``).
MAX_INT: Final = 2**31 - 1


def page_limit(default: int = 50, *, most: int = 100) -> Any:
    """A list's ``limit`` query parameter, bounded in the schema (and so in the OpenAPI document)."""
    return Field(default, ge=1, le=most, description=f"Items per page, 1–{most}.")


def page_offset() -> Any:
    """A list's ``offset`` query parameter, bounded in the schema (and so in the OpenAPI document)."""
    return Field(0, ge=0, le=MAX_OFFSET, description=f"Items to skip, 0–{MAX_OFFSET:,}.")


def one_of(words: Iterable[str], default: str | None = None, *, description: str | None = None) -> Any:
    """A query parameter that takes one of ``words``: an enum in the OpenAPI document, so that
    clients (and the fuzzer) know the vocabulary; the endpoint's parser refuses another, naming it."""
    return Field(default, description=description, json_schema_extra={"enum": list(words)})


def several_of(words: Sequence[str], *, description: str | None = None) -> Any:
    """A query parameter of ``words`` separated by commas (empty: no filter), declared as a pattern."""
    word = "|".join(re.escape(each) for each in words)
    pattern = rf"^[\s,]*(?:(?:{word})\s*(?:,[\s,]*|$))*$"
    listed = description or f"Comma-separated, of: {', '.join(words)}."
    return Field(None, description=listed, json_schema_extra={"pattern": pattern})


def a_date(*, description: str) -> Any:
    """A query parameter that takes a calendar date, 2026-11-01."""
    return Field(None, description=description, json_schema_extra={"format": "date"})


def refused(reason: str) -> Any:
    """A body field kept only to answer a sender clearly (``reason`` says where the change is
    made): read-only in the OpenAPI document, so that clients, and the fuzzer, leave it out."""

    def read_only(schema: dict[str, Any]) -> None:
        schema.clear()
        schema.update({"readOnly": True, "description": reason})

    return Field(None, json_schema_extra=read_only)


def omittable(**constraints: Any) -> Any:
    """A field of a change (PATCH) that may be left out but is never null: the OpenAPI document
    shows its type alone, and a null is refused naming the field. Read the change with
    ``model_dump(exclude_unset=True)``: a field left out is absent, never None."""
    return Field(None, json_schema_extra=_without_default, **constraints)


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def created[T](response: HttpResponse, location: str, body: T, *, tag: str | None = None) -> Status[T]:
    """A 201 answer with the new resource's address in ``Location`` (and its entity tag in ``ETag``)."""
    response["Location"] = location
    if tag is not None:
        response["ETag"] = quoted(tag)
    return Status(201, body)


def install_error_handlers(api: NinjaAPI) -> None:
    """Every failure inside an endpoint answered as ``{message, field}`` (``errors[]`` where there
    are several), whatever raised it; a database that does not answer is 503 with Retry-After, and
    anything unexpected a 500 that hides internals and logs the traceback (``lib/failures.py``)."""
    api.add_exception_handler(KeelError, _keel_error)
    api.add_exception_handler(ValidationError, _validation_error)
    api.add_exception_handler(AuthenticationError, _unauthenticated)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(Http404, _not_found)
    api.add_exception_handler(PermissionDenied, _forbidden)
    api.add_exception_handler(RequestDataTooBig, _too_large)
    api.add_exception_handler(MultiPartParserError, _not_multipart)
    api.add_exception_handler(Exception, _unexpected)


def _keel_error(request: HttpRequest, exc: Any) -> HttpResponse:
    return json_error(exc.status, exc.message, exc.field, **exc.details)


def _validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
    problems = [_explain(error) for error in exc.errors]
    first_field, first_message = problems[0] if problems else (None, "The request is not valid.")
    errors = [{"field": field, "message": message} for field, message in problems]
    return json_error(400, first_message, first_field, errors=errors)


UNAUTHENTICATED: Final = (
    "Send a valid API token as 'Authorization: Bearer <token>' (create one with: keel token create <username>)."
)


def _unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
    return json_error(401, UNAUTHENTICATED, headers={"WWW-Authenticate": "Bearer"})


def _http_error(request: HttpRequest, exc: Any) -> HttpResponse:
    # ninja wraps what its parser raises ("Cannot parse request body"): answer the cause instead.
    cause = exc.__cause__
    if isinstance(cause, KeelError):
        return _keel_error(request, cause)
    if isinstance(cause, RequestDataTooBig):
        return _too_large(request, cause)
    headers = retry_after_of(exc)
    return json_error(exc.status_code, str(exc), headers=headers)


def retry_after_of(exc: Any) -> dict[str, str]:
    wait = getattr(exc, "wait", None)
    return {"Retry-After": str(math.ceil(wait))} if wait is not None else {}


def _not_found(request: HttpRequest, exc: Any) -> HttpResponse:
    return json_error(404, NOT_FOUND)


def _forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
    return json_error(403, FORBIDDEN)


def _too_large(request: HttpRequest, exc: Any) -> HttpResponse:
    return json_error(413, too_large_message(getattr(exc, "limit", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)))


def _not_multipart(request: HttpRequest, exc: Any) -> HttpResponse:
    return json_error(400, f"The body is not valid multipart/form-data ({exc}); send the file as a form field.")


def _unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
    return server_error(request, exc)


def _explain(error: dict[str, Any]) -> tuple[str | None, str]:
    """A pydantic error as (the field, as clients name it; what to fix)."""
    loc = list(error.get("loc", ()))
    if loc and loc[0] in {"file", "form", "header"}:
        loc = loc[1:]  # where a multipart or header parameter came from: (source, name)
    location = [str(part) for part in loc if part not in {"body", "payload", "query", "path"}]
    field = ".".join(location) or None
    kind = error.get("type", "")
    if kind == "json_invalid":
        return None, "The body is not valid JSON; send a JSON object."
    if "input" in error and error["input"] is None:
        return field, f"{field} cannot be empty; leave it out to keep it."
    explain = _EXPLAINED.get(kind)
    if explain is not None:
        return field, explain(str(field), error.get("ctx") or {}, error.get("input"))
    given = error.get("input")
    suffix = f" (got {_shown(given)})" if given is not None and not isinstance(given, dict | list) else ""
    return field, f"{field}: {error.get('msg', 'invalid value')}{suffix}."


_EXPLAINED: Final[Mapping[str, Callable[[str, Mapping[str, Any], object], str]]] = {
    "extra_forbidden": lambda field, bounds, given: (
        f"Unknown field {field!r}; remove it (see /api/v1/docs for the fields this call takes)."
    ),
    "missing": lambda field, bounds, given: f"{field} is required.",
    "greater_than_equal": lambda field, bounds, given: f"{field} must be {bounds['ge']} or more (got {given}).",
    "less_than_equal": lambda field, bounds, given: f"{field} must be at most {bounds['le']} (got {given}).",
    "string_too_long": lambda field, bounds, given: (
        f"{field} is too long: at most {bounds['max_length']:,} characters are kept."
    ),
    "too_long": lambda field, bounds, given: f"{field} has too many items: at most {bounds['max_length']:,}.",
}


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "…"


# --- bodies: JSON only, and only text the databases can store ----------------------------------


class JsonBodies(Parser):
    """Bodies are JSON objects (415 for another declared type, 400 for text that is not JSON) whose
    text the databases can store: a NUL or an unpaired surrogate anywhere is 400 naming where."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        kind = request.content_type or ""
        if kind and kind != "application/json" and not kind.endswith("+json"):
            raise UnsupportedMediaType(f"{UNSUPPORTED_JSON} (got {kind!r}).", field=None)
        try:
            document, suspect = text.loads(request.body)
        except text.NotJson as error:
            raise InvalidInput(f"The body is not valid JSON ({error}); send a JSON object.") from error
        if suspect:
            _refuse_unstorable(document)
        return document  # type: ignore[return-value]  # not an object: the schema refuses it, naming it

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        for name in data if data is request.GET else ():
            if name not in list_fields and len(data.getlist(name)) > 1:
                raise InvalidInput(f"Give the query parameter {name!r} once.", field=name)
        parsed: dict[str, Any] = super().parse_querydict(data, list_fields, request)
        _refuse_unstorable({key: value for key, value in parsed.items() if isinstance(value, str | list)})
        return parsed


def _refuse_unstorable(document: object) -> None:
    found = text.first_unstorable(document)
    if found is not None:
        where, problem = found
        raise InvalidInput(f"{where or 'The body'} {problem}.", field=where or None)


# --- the OpenAPI document declares the error answers -------------------------------------------


class NamedOut(BaseModel):
    """A record an answer names: its id and name."""

    id: int
    name: str


class ErrorOut(BaseModel):
    """Every error answer: what to fix, and the field at fault (null when it is not one field)."""

    message: str
    field: str | None
    errors: list[dict[str, Any]] | None = Field(None, description="Each problem, when there are several.")


_ERROR_ANSWERS: Final[Mapping[int, str]] = {
    400: "Bad input: the message says what to fix, field names it.",
    401: "No valid API token.",
    403: "You may see this but not do it.",
    404: "No such record, or not one you may see.",
    409: "The record's state does not allow this, or it would change nothing.",
    412: "If-Match names another version than the stored one.",
    413: "The body is too large.",
    415: "The body is not JSON.",
    422: "This step needs a field (the message names it).",
    500: "Keel failed; the failure is logged and nothing was changed.",
    503: "The database is not answering; retry after Retry-After seconds.",
}
_WRITES: Final = frozenset({"post", "put", "patch", "delete"})


class KeelAPI(NinjaAPI):
    """django-ninja's API with the error answers every operation can give declared in one place:
    those of any call, those of a call with a body, and those of a write (each as ``ErrorOut``);
    and validation errors that keep the value given, so that a refusal can quote it."""

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            for error in context.pydantic_validation_error.errors(include_url=False):
                location = model.__ninja_flatten_map_reverse__.get(error["loc"], error["loc"])
                errors.append({**error, "loc": (model.__ninja_param_source__, *location)})
        return ValidationError(errors)

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> OpenAPISchema:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document["components"]["schemas"]["ErrorOut"] = ErrorOut.model_json_schema()
        for operations in document["paths"].values():
            for method, operation in operations.items():
                operation["responses"] = _answers(method, operation)
        return document


def _answers(method: str, operation: Mapping[str, Any]) -> dict[str, Any]:
    """The operation's answers keyed by status text, one entry each: ninja keys its own by number,
    an ``openapi_extra`` by text, and a document with both ("200" twice) is one YAML refuses."""
    answers: dict[str, Any] = {}
    for status, answer in sorted(operation["responses"].items(), key=lambda item: isinstance(item[0], str)):
        answers[str(status)] = answer  # the text key, given on purpose by the endpoint, wins
    for status in _error_statuses(method, operation):
        answers.setdefault(str(status), _error_answer(status))
    return answers


def _error_statuses(method: str, operation: Mapping[str, Any]) -> list[int]:
    statuses = [400, 403, 404, 500, 503]
    if operation.get("security"):
        statuses.append(401)
    if "requestBody" in operation:
        statuses += [413, 415]
    if method in _WRITES:
        statuses += [409, 412, 413, 422]
    return sorted(set(statuses))


def _error_answer(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": _ERROR_ANSWERS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
    if status == 503:
        answer["headers"] = {
            "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
        }
    if status == 401:
        answer["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return answer


# ``*`` or a list of entity tags, possibly empty (RFC 9110 §13.1.1), as the document declares it.
# It ends with "nothing follows" rather than $, which in Python's regular expressions (the
# fuzzer's) also matches before a final newline.
_ENTITY_TAG: Final = r'(W/)?"[\x21\x23-\x7e]*"'
IF_MATCH_PATTERN: Final = rf"^[ \t]*(\*|[ \t,]*({_ENTITY_TAG}([ \t]*,[ \t,]*{_ENTITY_TAG})*)?[ \t,]*)[ \t]*(?![\s\S])"


def _if_match_header(value: object) -> IfMatch | None:
    return parse_if_match(str(value)) if value is not None else None


# An endpoint that changes a record takes ``if_match: IfMatchHeader = None``: the header declared
# in the OpenAPI document and parsed (400 naming it when malformed); its action checks it.
IfMatchHeader = Annotated[
    IfMatch | None,
    PlainValidator(_if_match_header),
    WithJsonSchema({"type": "string", "pattern": IF_MATCH_PATTERN}),
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
