"""Finding a record the way people name it: by id, or by its name, slug or username."""

from django.db.models import Model, Q, QuerySet

from keel.lib.errors import InvalidInput, KeelError


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
    if text.isascii() and text.isdigit():
        pk = int(text)
        found = list(rows.filter(Q(pk=pk) | Q(**{key: text}))[:2])
        row = next((candidate for candidate in found if candidate.pk == pk), found[0] if found else None)
    else:
        row = rows.filter(**{key: reference}).first()
    if row is None:
        raise missing(f"No {what} {reference!r}{purpose}; give {give}.", field=field)
    return row
