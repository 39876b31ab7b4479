"""The vendors' paging schemes: pagy (Prevail), offset paging (Cloudflare), page_number/page_size (Vonage)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from simulator.core.errors import BadRequest


@dataclass(frozen=True)
class PagyPage:
    page: int
    items: int
    count: int
    pages: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.items

    def slice(self, records: list[Any]) -> list[Any]:
        return records[self.offset : self.offset + self.items]

    def as_dict(self) -> dict[str, int]:
        return {"page": self.page, "items": self.items, "count": self.count, "pages": self.pages}


def _positive_int(raw: Any) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, int):
        return raw if raw >= 1 else None
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if value >= 1 else None


def pagy(
    count: int,
    page: Any = None,
    items: Any = None,
    default_items: int = 20,
    max_items: int = 100,
    overflow: str = "empty_page",
) -> PagyPage:
    """pagy ≤ 8: ``pages = max(ceil(count/items), 1)``; a page below 1 or junk is page 1; ``items``
    is clamped to ``max_items`` and junk falls back to the default. Past the last page pagy either
    returns an empty page (``empty_page``, the default), the last page (``last_page``) or an error
    (``exception``)."""
    size = _positive_int(items) or default_items
    size = min(size, max_items)
    pages = max(math.ceil(count / size), 1)
    number = _positive_int(page) or 1
    if number > pages:
        if overflow == "last_page":
            number = pages
        elif overflow == "exception":
            raise BadRequest(f"page {number} is past the last page ({pages})", "page_overflow")
    return PagyPage(page=number, items=size, count=count, pages=pages)


@dataclass(frozen=True)
class OffsetPage:
    """A window of ``per_page`` records starting at ``(page_no - 1) * per_page``."""

    start: int
    size: int
    total: int

    def slice(self, records: list[Any]) -> list[Any]:
        return records[self.start : self.start + self.size]

    def paging(self) -> dict[str, int]:
        shown = max(min(self.size, self.total - self.start), 0)
        return {"start_offset": self.start, "end_offset": self.start + max(shown - 1, 0), "total_count": self.total}


def offset_page(total: int, page_no: int = 1, per_page: int = 20) -> OffsetPage:
    return OffsetPage(start=(max(page_no, 1) - 1) * per_page, size=per_page, total=total)


def numbered_page(total: int, page_number: int, page_size: int) -> OffsetPage:
    """Zero-based page numbers (Vonage)."""
    return OffsetPage(start=max(page_number, 0) * page_size, size=page_size, total=total)
