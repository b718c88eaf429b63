"""Finding a record the way people name it: by id, or by its name, slug or username."""

from django.db.models import Model, QuerySet

from keel.lib.errors import InvalidInput


def by_reference[M: Model](
    rows: QuerySet[M], reference: str | int, *, key: str, field: str, what: str, give: str, purpose: str = ""
) -> M:
    """The row whose id (for digits) or ``key`` equals ``reference``, else InvalidInput saying what to give."""
    lookup = {"pk": int(reference)} if str(reference).isdigit() else {key: reference}
    row = rows.filter(**lookup).first()
    if row is None:
        raise InvalidInput(f"No {what} {reference!r}{purpose}; give {give}.", field=field)
    return row
