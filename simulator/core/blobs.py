"""Downloadable content with HTTP range support (206 / 416), as media players and download tools expect."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from simulator.core.errors import SimulatorError

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class Blob:
    size: int
    media_type: str
    read: Callable[[int, int], bytes]  # (start, end exclusive) -> bytes
    filename: str | None = None


class RangeNotSatisfiable(SimulatorError):
    def __init__(self, size: int, header: str):
        super().__init__(
            f"Range {header!r} cannot be satisfied for {size} bytes", 416, "range_not_satisfiable",
            headers={"Content-Range": f"bytes */{size}"},
        )


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (start, end exclusive) asked by a single ``Range`` header, or None for the whole body.

    Multi-range requests are answered with the whole body (allowed by RFC 9110); a syntactically
    valid range that lies outside the content is 416.
    """
    if not header or "," in header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # suffix range: the last N bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable(size, header)
        return max(size - length, 0), size
    start = int(first)
    end = size if last == "" else min(int(last) + 1, size)
    if start >= size or end <= start:
        raise RangeNotSatisfiable(size, header)
    return start, end
