"""API glue shared by every app's router: JSON errors that say what to fix, ISO 8601 UTC times."""

from datetime import UTC, datetime
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from pydantic import PlainSerializer

from keel.lib.errors import KeelError


def iso_utc(value: datetime) -> str:
    """The API's time format, fixed width so that every reader parses one shape and the texts sort
    as the times do: 2026-11-27T18:00:00.000000Z. A naive datetime is UTC (Django's SQLite
    storage). Reads get the same text from the database (``lib.sql.api_time``)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


UtcDateTime = Annotated[datetime, PlainSerializer(iso_utc, return_type=str)]


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
    location = [str(part) for part in error.get("loc", ()) if part not in {"body", "payload", "query", "path"}]
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
