"""The due-time queue of a namespace: timed side effects that fire when its clock passes them.

Derived state (a session is LIVE or ENDED) is computed from the clock when read; only effects that
must happen once (a webhook, an automatic scheduling) wait here. The queue is drained on every
request, on every admin clock change and by a light background tick, so advancing the clock past a
due time fires what was due, in due-time order.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(order=True)
class _Item:
    due: float
    seq: int
    label: str = field(compare=False)
    action: Callable[[], None] = field(compare=False)


class DueQueue:
    def __init__(self) -> None:
        self._heap: list[_Item] = []
        self._counter = itertools.count()

    def push(self, due: float, label: str, action: Callable[[], None]) -> None:
        heapq.heappush(self._heap, _Item(due, next(self._counter), label, action))

    def drain(self, now: Callable[[], float]) -> int:
        """Run every item due by ``now()``; actions may push more (retries). Returns how many ran."""
        ran = 0
        while self._heap and self._heap[0].due <= now():
            item = heapq.heappop(self._heap)
            item.action()
            ran += 1
        return ran

    def pending(self) -> list[tuple[float, str]]:
        return [(item.due, item.label) for item in sorted(self._heap)]

    def clear(self) -> None:
        self._heap.clear()

    def __len__(self) -> int:
        return len(self._heap)
