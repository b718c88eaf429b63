"""Errors that actions raise and every entry point translates (API → JSON, UI → form errors).

Each carries a message written for the person who has to fix the input, and the field at fault.
"""

from collections.abc import Mapping

from django.core.exceptions import ValidationError


class KeelError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str | None = None, details: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = dict(details or {})


class InvalidInput(KeelError):
    """The request is malformed or names something that does not exist."""


class MissingField(KeelError):
    """A field required by this step (resolution code, hold reason, …) was not given."""

    status = 422


class NotAllowed(KeelError):
    """The user may see the record but not do this to it."""

    status = 403


class NotFound(KeelError):
    """No such record, or not one this user may see (we never say which)."""

    status = 404


class Conflict(KeelError):
    """The record's current state does not allow this (e.g. a transition not in the table)."""

    status = 409


class StaleVersion(KeelError):
    """The client edited an older version of the record than the one stored."""

    status = 412


class KeyReused(KeelError):
    """An Idempotency-Key sent again with another request: not a retry of the first."""

    status = 422


class Unauthenticated(KeelError):
    """No credentials, or ones Keel does not know (a revoked source token, say)."""

    status = 401


class TooLarge(KeelError):
    """The request body is larger than Keel reads."""

    status = 413


class UnsupportedMediaType(KeelError):
    """The body is of a type this endpoint does not read (it reads JSON)."""

    status = 415


def invalid_input_from(error: ValidationError, *, names: Mapping[str, str] | None = None) -> InvalidInput:
    """A model's ``full_clean`` refusal as the error every door shows: the first field at fault and
    its messages, the field named as clients name it (``names``: model field → API field)."""
    field, messages = next(iter(error.message_dict.items()))
    shown = (names or {}).get(field, field)
    label = shown.replace("_", " ").capitalize() if field != "__all__" else "This record"
    return InvalidInput(f"{label}: {' '.join(messages)}", field=None if field == "__all__" else shown)
