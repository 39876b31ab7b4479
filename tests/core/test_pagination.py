from __future__ import annotations

import pytest

from simulator.core.errors import BadRequest
from simulator.core.pagination import numbered_page, offset_page, pagy


def test_pagy_pages_is_at_least_one() -> None:
    assert pagy(0).as_dict() == {"page": 1, "items": 20, "count": 0, "pages": 1}
    assert pagy(41).pages == 3
    assert pagy(40).pages == 2


@pytest.mark.parametrize("page", ["0", "-3", "abc", "", None, "1.5"])
def test_pagy_page_below_one_or_junk_is_page_one(page: str | None) -> None:
    assert pagy(100, page=page).page == 1


@pytest.mark.parametrize(("items", "expected"), [("5", 5), ("100", 100), ("1000", 100), ("0", 20), ("x", 20)])
def test_pagy_items_default_and_cap(items: str, expected: int) -> None:
    assert pagy(500, items=items).items == expected


def test_pagy_slices_the_right_window() -> None:
    records = list(range(45))
    page = pagy(len(records), page="3", items="20")
    assert page.slice(records) == list(range(40, 45))


def test_pagy_overflow_modes() -> None:
    assert pagy(10, page="5").slice(list(range(10))) == []
    assert pagy(10, page="5").page == 5
    assert pagy(10, page="5", overflow="last_page").page == 1
    with pytest.raises(BadRequest):
        pagy(10, page="5", overflow="exception")


def test_offset_paging_reports_offsets_of_the_window() -> None:
    page = offset_page(total=45, page_no=3, per_page=20)
    assert page.slice(list(range(45))) == list(range(40, 45))
    assert page.paging() == {"start_offset": 40, "end_offset": 44, "total_count": 45}


def test_numbered_pages_start_at_zero() -> None:
    page = numbered_page(total=35, page_number=3, page_size=10)
    assert page.slice(list(range(35))) == list(range(30, 35))
