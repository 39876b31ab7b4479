"""A bounded request journal per namespace: memory stays flat under any load."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from simulator.core.errors import Violation


@dataclass(slots=True)
class Entry:
    seq: int
    at: float  # namespace clock, epoch seconds
    kind: str  # "request" or "webhook"
    method: str
    path: str
    status: int
    latency_ms: float
    vendor: str | None = None
    operation_id: str | None = None
    query: bytes = b""  # raw; decoded when read
    violations: list[Violation] = field(default_factory=list)
    response_violations: list[Violation] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    # Things the request did that the vendor accepts but a client author wants to hear about
    # (a filter on a field no document has, a match on an ID field).
    warnings: list[str] = field(default_factory=list)


class Journal:
    def __init__(self, capacity: int):
        self._entries: deque[Entry] = deque(maxlen=capacity)
        self._seq = 0

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def append(self, entry: Entry) -> None:
        self._entries.append(entry)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(list(self._entries))

    def sample(self, limit: int) -> Iterator[Entry]:
        """At most ``limit`` entries, oldest first, without copying the journal (memory estimates)."""
        return itertools.islice(self._entries, limit)

    def clear(self) -> None:
        self._entries.clear()
