"""The due-time queue of a namespace: timed side effects that fire when its clock passes them.

Derived state (a session is LIVE or ENDED) is computed from the clock when read; only effects that
must happen once (an automatic scheduling, a call that ends) wait here, as :class:`Effect` data that
the queue's runner dispatches to the vendor's effect table. The queue is drained on every
request, on every admin clock change and by a light background tick, so advancing the clock past a
due time fires what was due, in due-time order.

Other timed work that keeps its own schedule as data (webhook deliveries) attaches itself as a
:class:`TimedSource`: every drain releases what became due there too, and lists it as pending.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from simulator.core.effects import Effect, EffectRunner, NoEffects


@dataclass(order=True)
class _Item:
    due: float
    seq: int  # ties in due time fire in the order they were pushed
    effect: Effect = field(compare=False)


class TimedSource(Protocol):
    def release(self, now: float) -> int:
        """Start what is due by ``now``; return how many."""

    def pending(self) -> list[tuple[float, str]]:
        """(due, label) of what waits."""


class DueQueue:
    def __init__(self, runner: EffectRunner | None = None) -> None:
        self._runner: EffectRunner = runner or NoEffects()
        self._heap: list[_Item] = []
        self._counter = itertools.count()
        self._sources: list[TimedSource] = []

    def attach(self, source: TimedSource) -> None:
        self._sources.append(source)

    def detach(self, source: TimedSource) -> None:
        if source in self._sources:
            self._sources.remove(source)

    def push(self, effect: Effect) -> None:
        """Queue ``effect``; one its vendor does not declare is refused now rather than when due."""
        self._runner.check(effect)
        heapq.heappush(self._heap, _Item(effect.due, next(self._counter), effect))

    def effects(self) -> tuple[Effect, ...]:
        """What waits, in firing order: plain data, which a snapshot keeps."""
        return tuple(item.effect for item in sorted(self._heap))

    def replace(self, effects: tuple[Effect, ...]) -> None:
        """Wait for exactly ``effects`` (from :meth:`effects`), in their order."""
        self._heap.clear()
        for effect in effects:
            self.push(effect)

    def drain(self, now: Callable[[], float], limit: int | None = None) -> int:
        """Run the effects due by ``now()`` (at most ``limit`` of them); they may push more.

        Returns how many ran; :meth:`has_due` tells whether a limited drain left some.
        """
        ran = 0
        while self._heap and self._heap[0].due <= now() and (limit is None or ran < limit):
            self._runner.run(heapq.heappop(self._heap).effect)
            ran += 1
        for source in list(self._sources):  # after the effects: what they queued there goes out in this drain
            ran += source.release(now())
        return ran

    def has_due(self, now: float) -> bool:
        return bool(self._heap) and self._heap[0].due <= now

    def pending(self) -> list[tuple[float, str]]:
        items = [(item.due, item.effect.label) for item in sorted(self._heap)]
        for source in self._sources:
            items += source.pending()
        return sorted(items, key=lambda item: item[0])

    def sample(self, limit: int) -> Iterator[Effect]:
        """At most ``limit`` waiting effects, in no particular order (memory estimates)."""
        return (item.effect for item in itertools.islice(self._heap, limit))

    def clear(self) -> None:
        self._heap.clear()

    def __len__(self) -> int:
        return len(self._heap)
