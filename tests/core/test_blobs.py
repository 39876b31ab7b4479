from __future__ import annotations

import pytest

from simulator.core.blobs import RangeNotSatisfiable, byte_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("bytes=0-9", (0, 10)), ("bytes=90-", (90, 100)), ("bytes=-10", (90, 100)),
     ("bytes=95-200", (95, 100)), ("bytes=0-1,5-6", None), ("items=0-1", None)],
)
def test_ranges(header: str | None, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=50-40", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as error:
        byte_range(header, 100)
    assert error.value.status == 416 and error.value.headers["Content-Range"] == "bytes */100"


@pytest.mark.parametrize(("header", "expected"), [
    ("bytes=0-" + "9" * 5000, (0, 100)),  # a last position past the end is the end
    ("bytes=-" + "9" * 5000, (0, 100)),  # a suffix longer than the content is all of it
    ("bytes=" + "0" * 4999 + "5-9", (5, 10)),  # leading zeros are still a small number
    ("bytes=\u0661-\u0662", None),  # Arabic-Indic 1-2: only ASCII digits make a range; anything else is ignored
], ids=["long-last", "long-suffix", "leading-zeros", "arabic-digits"])
def test_positions_of_thousands_of_digits(header: str, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, 100) == expected


def test_a_5000_digit_start_is_416_not_an_error() -> None:
    with pytest.raises(RangeNotSatisfiable) as error:
        byte_range("bytes=" + "9" * 5000 + "-", 100)
    assert error.value.status == 416
