"""Names a record must not share with another of its kind: refused with what to do, before the
database's unique constraint would refuse it without naming the record, and again if a concurrent
request took the name in between."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet

from keel.lib.errors import InvalidInput


def refuse_taken_name[M: Model](rows: QuerySet[M], name: str, *, what: str, but: int | None = None) -> None:
    """Refuse a name another row (not ``but``) has, saying so before the database's constraint
    would (whose refusal names no record)."""
    if rows.filter(name=name).exclude(pk=but).exists():
        raise InvalidInput(_taken(what, name), field="name")


@contextmanager
def claiming_name(what: str, name: str) -> Iterator[None]:
    """Save inside this block: a name another request took since ``refuse_taken_name`` looked (the
    unique constraint's IntegrityError) is refused as that would have refused it."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        raise InvalidInput(_taken(what, name), field="name") from error


def _taken(what: str, name: str) -> str:
    return f"A {what} named {name!r} exists already; pick another name."
