"""An inverted index of JSON documents for the query nodes, with Elasticsearch's sorting and paging.

Keyword, text and boolean fields keep a posting list per term (ascending slots; a term held by one
document keeps a bare slot, which is most ids). Numbers and dates keep their (value, slot) pairs
sorted, so a range is two binary searches. Every document keeps its source as stored bytes (hits
are served from them). Columns of values per slot, sorted orders and sorted term lists are derived
on first use and dropped whenever the index changes.

Sorting follows Elasticsearch: ascending takes a multi-valued field's smallest value, descending its
largest; documents without the field come last either way; ties go to the older document (the lower
slot). A document replaced or deleted leaves a tombstone; posting lists are compacted once there are
more tombstones than live documents.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.core.esfields import NUMERIC, TEXT, Analyzed
from simulator.core.esfields import Mapping as FieldMapping
from simulator.core.esnodes import Node
from simulator.core.esquery import QueryError

Column = Mapping[int, list[Any]]  # slot -> the field's values, ascending


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False


def sort_field(mapping: FieldMapping, field: str) -> str:
    """The field a sort on ``field`` reads: a text field sorts by its ``.keyword`` sub-field (the whole
    value); objects, unmapped fields and text without a keyword sub-field cannot be sorted on."""
    spec = mapping.field(field)
    if spec is None:
        if mapping.is_object(field):
            raise QueryError(f"{field!r} is an object, not a field; sort on one of its fields")
        raise QueryError(f"no mapping found for {field!r} in order to sort on")
    if spec.type == TEXT:
        if spec.keyword_subfield:
            return field + ".keyword"
        raise QueryError(f"{field!r} is a text field without a keyword sub-field and cannot be sorted on")
    return field


class _Numbers:
    """A numeric field's (value, slot) pairs, sorted; new pairs wait in ``pending`` until a read."""

    __slots__ = ("pending", "slots", "values")

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.slots: list[int] = []
        self.pending: list[tuple[Any, int]] = []

    def settle(self) -> None:
        if not self.pending:
            return
        if len(self.pending) <= 32:
            for value, slot in self.pending:  # a new slot is the highest: it goes after equal values
                at = bisect_right(self.values, value)
                self.values.insert(at, value)
                self.slots.insert(at, slot)
        else:
            pairs = sorted([*zip(self.values, self.slots, strict=True), *self.pending])
            self.values = [value for value, _ in pairs]
            self.slots = [slot for _, slot in pairs]
        self.pending.clear()

    def window(self, low: Any, low_inclusive: bool, high: Any, high_inclusive: bool) -> tuple[int, int]:
        self.settle()
        start = 0 if low is None else (bisect_left if low_inclusive else bisect_right)(self.values, low)
        end = len(self.values) if high is None else (bisect_right if high_inclusive else bisect_left)(self.values,
                                                                                                     high)
        return start, max(start, end)


class Index:
    def __init__(self, compressed: bool = False) -> None:
        """``compressed``: sources are given zlib-compressed (and kept so); :meth:`source` inflates them."""
        self._compressed = compressed
        self._sources: list[bytes | None] = []
        self._live: set[int] = set()
        self._terms: dict[str, dict[Any, int | list[int]]] = {}
        self._numbers: dict[str, _Numbers] = {}
        self._present: dict[str, list[int]] = {}
        # Per slot, the distinct token sequences of each text field: phrases are checked against them.
        self._texts: list[dict[str, tuple[tuple[str, ...], ...]] | None] = []
        self._dead = 0
        self._cache: dict[tuple[str, Any], Any] = {}

    # as plain data --------------------------------------------------------------------------------
    def to_plain(self) -> tuple[Any, ...]:
        """The index as plain data (dicts, lists, sets, tuples, scalars and bytes) that :meth:`from_plain`
        turns back into this index, slot for slot: reading it back is much cheaper than adding every
        document again (kept between runs for seeded baselines). It shares the index's own lists:
        serialise it, never change it."""
        numbers = {}
        for field, pairs in self._numbers.items():
            pairs.settle()
            numbers[field] = (pairs.values, pairs.slots)
        return (self._compressed, self._sources, self._live, self._terms, numbers, self._present, self._texts,
                self._dead)

    @classmethod
    def from_plain(cls, data: Sequence[Any]) -> Index:
        """The index :meth:`to_plain` gave ``data`` for (TypeError or ValueError when it is not that shape)."""
        compressed, sources, live, terms, numbers, present, texts, dead = data
        if not (type(sources) is list and type(live) is set and type(terms) is dict and type(numbers) is dict
                and type(present) is dict and type(texts) is list and len(texts) == len(sources)
                and type(dead) is int):
            raise TypeError("not an index's plain data")
        index = cls(compressed=bool(compressed))
        index._sources, index._live, index._terms, index._present, index._texts = sources, live, terms, present, texts
        index._dead = dead
        for field, (values, slots) in numbers.items():
            pairs = index._numbers[field] = _Numbers()
            if not (type(values) is list and type(slots) is list and len(values) == len(slots)):
                raise TypeError(f"numbers of {field!r} are not an index's plain data")
            pairs.values, pairs.slots = values, slots
        return index

    # writing --------------------------------------------------------------------------------------
    def add(self, analyzed: Analyzed, source: bytes) -> int:
        slot = len(self._sources)
        self._sources.append(source)
        self._live.add(slot)
        texts = {field: tuple(dict.fromkeys(values)) for field, (kind, values) in analyzed.items()
                 if kind == TEXT and values}
        self._texts.append(texts or None)
        for field, (kind, values) in analyzed.items():
            if not values:
                continue
            self._present.setdefault(field, []).append(slot)
            if kind in NUMERIC:
                numbers = self._numbers.get(field)
                if numbers is None:
                    numbers = self._numbers[field] = _Numbers()
                numbers.pending.extend((value, slot) for value in set(values))
                continue
            terms = self._terms.setdefault(field, {})
            for term in {token for tokens in values for token in tokens} if kind == TEXT else set(values):
                posting = terms.get(term)
                if posting is None:
                    terms[term] = slot
                elif isinstance(posting, int):
                    terms[term] = [posting, slot]
                else:
                    posting.append(slot)
        self._cache.clear()
        return slot

    def remove(self, slot: int) -> None:
        if slot not in self._live:
            return
        self._live.remove(slot)
        self._sources[slot] = None
        self._texts[slot] = None
        self._dead += 1
        self._cache.clear()
        if self._dead > 1000 and self._dead > len(self._live):
            self._compact()

    def _compact(self) -> None:
        live = self._live
        for field, terms in list(self._terms.items()):
            kept: dict[Any, int | list[int]] = {}
            for term, posting in terms.items():
                slots = [s for s in ((posting,) if isinstance(posting, int) else posting) if s in live]
                if slots:
                    kept[term] = slots[0] if len(slots) == 1 else slots
            self._terms[field] = kept
        for field, present in list(self._present.items()):
            self._present[field] = [s for s in present if s in live]
        for numbers in self._numbers.values():
            numbers.settle()
            pairs = [(v, s) for v, s in zip(numbers.values, numbers.slots, strict=True) if s in live]
            numbers.values, numbers.slots = [v for v, _ in pairs], [s for _, s in pairs]
        self._dead = 0

    # reading --------------------------------------------------------------------------------------
    def source(self, slot: int) -> bytes:
        """A document's JSON as stored."""
        source = self._sources[slot]
        if source is None:
            raise KeyError(slot)
        return zlib.decompress(source) if self._compressed else source

    def __len__(self) -> int:
        return len(self._live)

    def postings(self, field: str, term: Any) -> Sequence[int]:
        posting = self._terms.get(field, {}).get(term)
        if posting is None:
            return ()
        return (posting,) if isinstance(posting, int) else posting

    def sorted_terms(self, field: str) -> list[Any]:
        return self._cached(("terms", field), lambda: sorted(self._terms.get(field, {})))  # type: ignore[no-any-return]

    def numeric_range(self, field: str, low: Any, low_inclusive: bool, high: Any,
                      high_inclusive: bool) -> Sequence[int]:
        numbers = self._numbers.get(field)
        if numbers is None:
            return ()
        start, end = numbers.window(low, low_inclusive, high, high_inclusive)
        return numbers.slots[start:end]

    def numeric_values(self, field: str) -> Column:
        return self._column(field)

    def present(self, field: str) -> Sequence[int]:
        return self._present.get(field, ())

    def fields(self) -> list[str]:
        """Every field some document has had (until the index is compacted)."""
        return list(self._present)

    def fields_under(self, prefix: str) -> list[str]:
        start = prefix + "."
        return self._cached(("under", prefix),  # type: ignore[no-any-return]
                            lambda: [field for field in self._present if field.startswith(start)])

    def live(self) -> set[int]:
        return set(self._live)

    def live_count(self) -> int:
        return len(self._live)

    def token_values(self, slot: int, field: str) -> Sequence[Sequence[str]]:
        texts = self._texts[slot]
        return texts.get(field, ()) if texts else ()

    def _cached(self, key: tuple[str, Any], build: Callable[[], Any]) -> Any:
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = build()
        return found

    def _column(self, field: str) -> Column:
        def build() -> dict[int, list[Any]]:
            column: dict[int, list[Any]] = {}
            numbers = self._numbers.get(field)
            if numbers is not None:
                numbers.settle()
                for value, slot in zip(numbers.values, numbers.slots, strict=True):
                    column.setdefault(slot, []).append(value)
            else:
                for term in self.sorted_terms(field):
                    for slot in self.postings(field, term):
                        column.setdefault(slot, []).append(term)
            return column

        return self._cached(("column", field), build)  # type: ignore[no-any-return]

    # searching ------------------------------------------------------------------------------------
    def search(self, query: Node, sort: Sequence[SortKey], offset: int, size: int) -> tuple[int, list[int]]:
        """(total, the slots of one page) of the documents matching ``query`` in ``sort`` order."""
        hits = query.select(self)
        if self._dead:
            hits = hits & self._live
        if size <= 0 or offset >= len(hits):
            return len(hits), []
        return len(hits), self._top(hits, sort, offset + size)[offset:]

    def _top(self, hits: set[int], sort: Sequence[SortKey], limit: int) -> list[int]:
        if not sort or len(hits) * CHECK_ORDER <= len(self._live):
            return ordered(sorted(hits), sort, self._column)[:limit]
        # Many hits: walk the first key's order (kept per field) until the page is full, take the
        # documents tied with the last one too, and order that prefix by every key.
        first = sort[0]
        order = self._cached(("order", first), lambda: self._order(first))
        key = sort_key(self._column(first.field), first.descending)
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
            return ordered(picked, sort, self._column)[:limit]
        return picked

    def _order(self, key: SortKey) -> list[int]:
        column = self._column(key.field)
        return ordered(sorted(self._live), [key], lambda _field: column)


CHECK_ORDER = 8  # sort the hits themselves when they are at most 1/8 of the documents


def sort_key(column: Column, descending: bool) -> Callable[[int], tuple[int, Any]]:
    """The sort value of a slot, documents without one last (with ``reverse=True`` for descending)."""
    if descending:
        return lambda slot: (1, column[slot][-1]) if slot in column else (0, 0)
    return lambda slot: (0, column[slot][0]) if slot in column else (1, 0)


def ordered(slots: list[int], sort: Sequence[SortKey], column_of: Callable[[str], Column]) -> list[int]:
    """Slots (given in ascending slot order) sorted by every key; stable passes keep ties by slot."""
    for key in reversed(sort):
        slots.sort(key=sort_key(column_of(key.field), key.descending), reverse=key.descending)
    return slots


class LinearScan:
    """The same answers by looking at every document: the reference for the index, and its baseline."""

    def __init__(self) -> None:
        self._docs: list[Analyzed | None] = []

    def add(self, analyzed: Analyzed) -> int:
        self._docs.append(analyzed)
        return len(self._docs) - 1

    def remove(self, slot: int) -> None:
        self._docs[slot] = None

    def search(self, query: Node, sort: Sequence[SortKey], offset: int, size: int) -> tuple[int, list[int]]:
        hits = [slot for slot, doc in enumerate(self._docs) if doc is not None and query.matches(doc)]
        if size <= 0 or offset >= len(hits):
            return len(hits), []

        def column(field: str) -> Column:
            values = {slot: sorted(entry[1]) for slot in hits
                      if (entry := self._docs[slot].get(field)) and entry[1]}  # type: ignore[union-attr]
            return values

        return len(hits), ordered(hits, sort, column)[offset:offset + size]
