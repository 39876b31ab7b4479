"""One account's documents as a namespace sees them: a shared, read-only baseline plus its own layer.

Seeded conversations are generated and indexed once per process for a seed and fixtures section,
laid out relative to a fixed baseline start (:data:`BASE_MS`), and shared by every namespace. A
namespace whose clock starts elsewhere sees them moved by ``shift`` milliseconds: date bounds of a
query move back by ``shift`` before they reach the baseline, date values read from it (sorting,
the day of a session) move forward, and the ``session_start_time`` of a served document is
rendered at its moved instant, so every answer is what generating the documents at that start
would give. Documents the namespace stores (or that replace seeded ones, as a call ending does)
go into its own small index; seeded ones it deletes or replaces are hidden. Slots of its own
documents come after the baseline's, so ties in sorted searches still go to the older document.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from simulator.core.esdates import from_millis
from simulator.core.esfields import Analyzed
from simulator.core.esindex import CHECK_ORDER, Column, Index, SortKey, ordered, sort_key
from simulator.core.esnodes import Node

BASE_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z: where the shared baseline's clock starts
START_FIELD = "session_start_time"
_START_KEY = b'"session_start_time":"'


def render_instant(millis: int) -> str:
    """A start time as the Insights model writes it: naive UTC with microseconds."""
    return from_millis(millis).replace(tzinfo=None).isoformat(timespec="microseconds")


def moved_source(source: bytes, millis: int, shift: int) -> bytes:
    """A stored document whose start ``millis`` is rendered ``shift`` milliseconds later."""
    if not shift:
        return source
    old = _START_KEY + render_instant(millis).encode() + b'"'
    return source.replace(old, _START_KEY + render_instant(millis + shift).encode() + b'"', 1)


def moved_analysis(analyzed: Analyzed, dates: frozenset[str], shift: int) -> Analyzed:
    if not shift:
        return analyzed
    return {path: (kind, [value + shift for value in values]) if path in dates else (kind, values)
            for path, (kind, values) in analyzed.items()}


class Layered(Index):
    """The :class:`Index` reads (hence searches and catalogues) over baseline + own layer."""

    def __init__(self, base: Index | None, shift: int, dates: frozenset[str]):
        super().__init__(compressed=True)  # this object's own storage stays unused: see ``own``
        self.base = base if base is not None else Index(compressed=True)
        self.size = self.base.live_count()  # the baseline never changes: its slots are 0..size-1
        self.shift = shift
        self.dates = dates
        self.own = Index(compressed=True)
        self.hidden: set[int] = set()  # baseline slots deleted or replaced here
        self.touched = False  # anything stored, deleted or replaced here
        self._view: dict[tuple[str, Any], Any] = {}  # merged reads, dropped whenever this layer changes

    def __deepcopy__(self, memo: dict[int, Any]) -> Layered:
        """A copy of this namespace's layer over the same shared, read-only baseline."""
        copied = Layered.__new__(Layered)
        memo[id(self)] = copied
        for name, value in vars(self).items():
            setattr(copied, name, value if name == "base" else copy.deepcopy(value, memo))
        return copied

    # writing --------------------------------------------------------------------------------------
    def add(self, analyzed: Analyzed, source: bytes) -> int:
        self._view.clear()
        self.touched = True
        return self.size + self.own.add(analyzed, source)

    def remove(self, slot: int) -> None:
        self._view.clear()
        self.touched = True
        if slot < self.size:
            self.hidden.add(slot)
        else:
            self.own.remove(slot - self.size)

    # reading --------------------------------------------------------------------------------------
    def source(self, slot: int) -> bytes:
        if slot >= self.size:
            return self.own.source(slot - self.size)
        if slot in self.hidden:
            raise KeyError(slot)
        source = self.base.source(slot)
        if not self.shift:
            return source
        started = self.base.numeric_values(START_FIELD).get(slot)
        return moved_source(source, started[0], self.shift) if started else source

    def __len__(self) -> int:
        return self.live_count()

    def _merged(self, key: tuple[str, Any], build: Callable[[], Any]) -> Any:
        found = self._view.get(key)
        if found is None:
            found = self._view[key] = build()
        return found

    def _offset(self, slots: Sequence[int]) -> list[int]:
        return [self.size + slot for slot in slots]

    def postings(self, field: str, term: Any) -> Sequence[int]:
        base, own = self.base.postings(field, term), self.own.postings(field, term)
        return [*base, *self._offset(own)] if own else base

    def sorted_terms(self, field: str) -> list[Any]:
        if not self.own.present(field):
            return self.base.sorted_terms(field)
        return self._merged(("terms", field),  # type: ignore[no-any-return]
                            lambda: sorted({*self.base.sorted_terms(field), *self.own.sorted_terms(field)}))

    def numeric_range(self, field: str, low: Any, low_inclusive: bool, high: Any,
                      high_inclusive: bool) -> Sequence[int]:
        move = self.shift if field in self.dates else 0
        base = self.base.numeric_range(field, None if low is None else low - move, low_inclusive,
                                       None if high is None else high - move, high_inclusive)
        own = self.own.numeric_range(field, low, low_inclusive, high, high_inclusive)
        return [*base, *self._offset(own)] if own else base

    def numeric_values(self, field: str) -> Column:
        move = self.shift if field in self.dates else 0
        if not move and not self.own.present(field):
            return self.base.numeric_values(field)

        def build() -> dict[int, list[Any]]:
            column = {slot: [value + move for value in values] if move else values
                      for slot, values in self.base.numeric_values(field).items()}
            column.update((self.size + slot, values) for slot, values in self.own.numeric_values(field).items())
            return column

        return self._merged(("column", field), build)  # type: ignore[no-any-return]

    def present(self, field: str) -> Sequence[int]:
        base, own = self.base.present(field), self.own.present(field)
        return [*base, *self._offset(own)] if own else base

    def fields(self) -> list[str]:
        base = self.base.fields()
        return [*base, *(field for field in self.own.fields() if not self.base.present(field))]

    def fields_under(self, prefix: str) -> list[str]:
        base = self.base.fields_under(prefix)
        own = [field for field in self.own.fields_under(prefix) if not self.base.present(field)]
        return [*base, *own] if own else base

    def live(self) -> set[int]:
        return set(self._live_slots())

    def _live_slots(self) -> set[int]:
        return self._merged(("live", None),  # type: ignore[no-any-return]
                            lambda: (set(range(self.size)) - self.hidden) | set(self._offset(sorted(self.own.live()))))

    def live_count(self) -> int:
        return len(self._live_slots())

    def token_values(self, slot: int, field: str) -> Sequence[Sequence[str]]:
        if slot >= self.size:
            return self.own.token_values(slot - self.size, field)
        return self.base.token_values(slot, field)

    # searching ------------------------------------------------------------------------------------
    def search(self, query: Node, sort: Sequence[SortKey], offset: int, size: int) -> tuple[int, list[int]]:
        hits = query.select(self)
        if self.touched:
            hits = hits & self._live_slots()  # postings still list hidden and deleted slots
        if size <= 0 or offset >= len(hits):
            return len(hits), []
        return len(hits), self._page(hits, sort, offset + size)[offset:]

    def _page(self, hits: set[int], sort: Sequence[SortKey], limit: int) -> list[int]:
        # As Index does: sort few hits themselves; for many, walk the first key's order until the page
        # is full, take the documents tied with the last one too, and order that prefix by every key.
        if not sort or len(hits) * CHECK_ORDER <= self.live_count():
            return ordered(sorted(hits), sort, self.numeric_values)[:limit]
        first = sort[0]
        order: list[int] = self._merged(("order", first), lambda: ordered(
            sorted(self._live_slots()), [first], lambda _field: self.numeric_values(first.field)))
        key = sort_key(self.numeric_values(first.field), first.descending)
        picked: list[int] = []
        position = 0
        while position < len(order) and len(picked) < limit:
            if order[position] in hits:
                picked.append(order[position])
            position += 1
        if len(sort) > 1 and picked:
            boundary = key(picked[-1])
            for slot in order[position:]:
                if key(slot) != boundary:
                    break
                if slot in hits:
                    picked.append(slot)
            return ordered(picked, sort, self.numeric_values)[:limit]
        return picked
