"""Finding a record the way people name it: by id, or by its name, slug or username."""

from collections.abc import Sequence

from django.db.models import Model, Q, QuerySet

from keel.lib.errors import InvalidInput, KeelError
from keel.lib.rows import ids_and_keys


def by_reference[M: Model](
    rows: QuerySet[M],
    reference: str | int,
    *,
    key: str,
    field: str,
    what: str,
    give: str,
    purpose: str = "",
    missing: type[KeelError] = InvalidInput,
) -> M:
    """The row whose id or ``key`` equals ``reference``, else ``missing`` (InvalidInput) saying what to give.

    A reference of digits only is an id first and, when no row has that id, a name: a CI named
    "1234" is found by its name unless another CI has id 1234 (then it is reached by its own id).
    Ids win because they never change and API clients store them: a later record whose name looks
    like an id must not turn a client's ``/cis/42`` into another CI. One query either way.

    Give ``missing=NotFound`` for a reference in a URL path (404); a field of a request body is 400.
    """
    text = str(reference)
    if (pk := _as_id(text)) is not None:
        found = list(rows.filter(Q(pk=pk) | Q(**{key: text}))[:2])
        row = next((candidate for candidate in found if candidate.pk == pk), found[0] if found else None)
    else:
        row = rows.filter(**{key: reference}).first()
    if row is None:
        raise missing(_none_named(what, reference, purpose, give), field=field)
    return row


def _as_id(text: str) -> int | None:
    """The id a reference means first, if it is digits only (and fits an id column: a longer
    number can only be a name)."""
    return int(text) if text.isascii() and text.isdigit() and int(text) < 2**63 else None


def _none_named(what: str, reference: str | int, purpose: str, give: str) -> str:
    return f"No {what} {reference!r}{purpose}; give {give}."


def ids_by_reference(
    model: type[Model],
    references: Sequence[str],
    *,
    key: str,
    field: str,
    what: str,
    give: str,
    purpose: str = "",
    only: str = "",
) -> tuple[int, ...]:
    """The ids of the rows these references name, by ``by_reference``'s rule (digits are an id
    first, then a name), in one statement, else InvalidInput for the first that names none.

    For a read's filters, which want ids, not records (``lib.rows``). ``only`` is a condition on a
    column of the table that the rows must meet too (``is_active``).
    """
    if not references:
        return ()
    numbers = [number for text in references if (number := _as_id(text)) is not None]
    rows = ids_and_keys(model, key=key, ids=numbers, keys=list(references), only=only)
    ids = {row[0] for row in rows}
    named = {row[1]: row[0] for row in rows}
    found = []
    for text in references:
        row_id = number if (number := _as_id(text)) in ids else named.get(text)
        if row_id is None:
            raise InvalidInput(_none_named(what, text, purpose, give), field=field)
        found.append(row_id)
    return tuple(found)
