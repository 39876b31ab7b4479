"""Downloadable content with HTTP range support (206 / 416), as media players and download tools expect."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from simulator.core.errors import SimulatorError

_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")  # ASCII digits only: int() would take any script's
# Positions longer than this lie beyond every blob; they are never converted, so a header of thousands
# of digits costs no more than its length to read (and never reaches int()'s 4300-digit limit).
_MAX_DIGITS = 18
_BEYOND = 10**_MAX_DIGITS


def _position(digits: str) -> int:
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= _MAX_DIGITS else _BEYOND


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

    Multi-range requests and malformed headers are answered with the whole body (RFC 9110 lets a
    server ignore ``Range``); a syntactically valid range that lies outside the content is 416,
    however many digits its positions have.
    """
    if not header or "," in header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # suffix range: the last N bytes
        length = _position(last)
        if length == 0:
            raise RangeNotSatisfiable(size, header)
        return max(size - length, 0), size
    start = _position(first)
    end = size if last == "" else min(_position(last) + 1, size)
    if start >= size or end <= start:
        raise RangeNotSatisfiable(size, header)
    return start, end
