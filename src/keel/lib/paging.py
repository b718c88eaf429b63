"""Lists narrowed by filters, and pages of them: a list never counts a whole table. The count
stops at ``COUNT_CAP`` past the page's start (the API says ``count_is_capped: true``, the console
shows "1,000+"), so the cost of a page does not grow with the table."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from django.db.models import Model, QuerySet

COUNT_CAP: Final = 1_000
# How deep a list may be paged: far past any list a person reads, well inside the databases'
# integers (an offset of 2^63 overflowed PostgreSQL's). Deeper than this, narrow the filters.
MAX_OFFSET: Final = 1_000_000


def narrowed[M: Model](rows: QuerySet[M], **lookups: object) -> QuerySet[M]:
    """``rows`` filtered by each lookup that was given: a filter left empty (None) narrows nothing."""
    given = {lookup: value for lookup, value in lookups.items() if value is not None}
    return rows.filter(**given) if given else rows


@dataclass(frozen=True)
class Page[T]:
    items: list[T]
    count: int
    count_is_capped: bool
    offset: int
    limit: int

    def answer(self, render: Callable[[T], Any]) -> dict[str, Any]:
        """The page as the API answers it: ``{items, count, count_is_capped, offset, limit}``."""
        return {
            "items": [render(item) for item in self.items],
            "count": self.count,
            "count_is_capped": self.count_is_capped,
            "offset": self.offset,
            "limit": self.limit,
        }


def capped_page[M: Model](rows: QuerySet[M], *, offset: int, limit: int) -> Page[M]:
    """The page of ``rows`` (ordered as given) from ``offset``, counted up to COUNT_CAP past it."""
    items = list(rows[offset : offset + limit])
    ceiling = offset + COUNT_CAP
    count = rows.order_by()[: ceiling + 1].count()
    return Page(items=items, count=min(count, ceiling), count_is_capped=count > ceiling, offset=offset, limit=limit)


def window[T](page: Page[T] | None) -> dict[str, int | None] | None:
    """What the console shows around a page: its first and last row numbers and the offsets of
    the neighbouring pages (None where there is none)."""
    if page is None or not page.items:
        return None
    last = page.offset + len(page.items)
    more = page.count_is_capped or last < page.count
    return {
        "first": page.offset + 1,
        "last": last,
        "previous": max(0, page.offset - page.limit) if page.offset > 0 else None,
        "next": last if more else None,
    }
