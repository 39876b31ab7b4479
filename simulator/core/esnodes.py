"""Query nodes: each decides a document (``matches``, a linear scan) and selects from an index.

``select`` returns the slots that match; ``refine`` keeps the candidates that match, and chooses
between a set intersection and checking each candidate (a binary search in a posting list, a look at
a column of values) by comparing the candidates with the node's cost, as Lucene's conjunctions lead
with their cheapest clause. Returned sets are never mutated afterwards.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from simulator.core.esfields import Analyzed

CHECK_EACH = 8  # check candidates one by one when there are this many times fewer of them than postings
VERIFY_COST = 4  # checking a phrase candidate's positions, in posting look-ups


class Searchable(Protocol):
    def postings(self, field: str, term: Any) -> Sequence[int]: ...
    def sorted_terms(self, field: str) -> list[Any]: ...
    def numeric_range(self, field: str, low: Any, low_inclusive: bool, high: Any,
                      high_inclusive: bool) -> Sequence[int]: ...
    def numeric_values(self, field: str) -> Mapping[int, list[Any]]: ...
    def present(self, field: str) -> Sequence[int]: ...
    def fields_under(self, prefix: str) -> list[str]: ...
    def live(self) -> set[int]: ...
    def live_count(self) -> int: ...
    def token_values(self, slot: int, field: str) -> Sequence[Sequence[str]]: ...


def has(posting: Sequence[int], slot: int) -> bool:
    """Is a slot in an ascending posting list."""
    at = bisect_left(posting, slot)
    return at < len(posting) and posting[at] == slot


def union(postings: Iterable[Sequence[int]]) -> set[int]:
    found: set[int] = set()
    for posting in postings:
        found.update(posting)
    return found


class Node:
    def matches(self, doc: Analyzed) -> bool:
        raise NotImplementedError

    def cost(self, index: Searchable) -> int:
        raise NotImplementedError

    def select(self, index: Searchable) -> set[int]:
        raise NotImplementedError

    def refine(self, index: Searchable, candidates: set[int]) -> set[int]:
        return candidates & self.select(index)


class AllNode(Node):
    def matches(self, doc: Analyzed) -> bool:
        return True

    def cost(self, index: Searchable) -> int:
        return index.live_count()

    def select(self, index: Searchable) -> set[int]:
        return index.live()

    def refine(self, index: Searchable, candidates: set[int]) -> set[int]:
        return candidates


class NoneNode(Node):
    def matches(self, doc: Analyzed) -> bool:
        return False

    def cost(self, index: Searchable) -> int:
        return 0

    def select(self, index: Searchable) -> set[int]:
        return set()


class _PostingsNode(Node):
    """A node whose answer is the union of some posting lists (found once per index)."""

    field: str

    def __init__(self) -> None:
        self._found: tuple[int, list[Sequence[int]]] | None = None

    def _find(self, index: Searchable) -> list[Sequence[int]]:
        raise NotImplementedError

    def lists(self, index: Searchable) -> list[Sequence[int]]:
        if self._found is None or self._found[0] != id(index):
            self._found = (id(index), [posting for posting in self._find(index) if posting])
        return self._found[1]

    def cost(self, index: Searchable) -> int:
        return sum(map(len, self.lists(index)))

    def select(self, index: Searchable) -> set[int]:
        return union(self.lists(index))

    def refine(self, index: Searchable, candidates: set[int]) -> set[int]:
        lists = self.lists(index)
        if len(candidates) * CHECK_EACH < sum(map(len, lists)):
            return {slot for slot in candidates if any(has(posting, slot) for posting in lists)}
        return candidates & union(lists)


def _values(doc: Analyzed, field: str, text: bool) -> list[Any]:
    entry = doc.get(field)
    if entry is None:
        return []
    return [token for tokens in entry[1] for token in tokens] if text else entry[1]


class TermsNode(_PostingsNode):
    """Any of these values (tokens, on a text field)."""

    def __init__(self, field: str, values: frozenset[Any], text: bool, case_insensitive: bool = False):
        super().__init__()
        self.field, self.values, self.text, self.case_insensitive = field, values, text, case_insensitive

    def matches(self, doc: Analyzed) -> bool:
        found = _values(doc, self.field, self.text)
        if self.case_insensitive:
            return any(isinstance(v, str) and v.lower() in self.values for v in found)
        return any(v in self.values for v in found)

    def _find(self, index: Searchable) -> list[Sequence[int]]:
        if self.case_insensitive:
            terms: Iterable[Any] = [t for t in index.sorted_terms(self.field) if isinstance(t, str)
                                    and t.lower() in self.values]
        else:
            terms = self.values
        return [index.postings(self.field, term) for term in terms]


class RangeNode(_PostingsNode):
    """Values between bounds (None = open). Numbers and dates use the sorted values; keyword and text
    fields compare their terms as strings."""

    def __init__(self, field: str, low: Any, low_inclusive: bool, high: Any, high_inclusive: bool,
                 numeric: bool, text: bool = False):
        super().__init__()
        self.field, self.low, self.high = field, low, high
        self.low_inclusive, self.high_inclusive, self.numeric, self.text = low_inclusive, high_inclusive, numeric, text

    def accepts(self, value: Any) -> bool:
        if self.low is not None and not (value > self.low or (self.low_inclusive and value == self.low)):
            return False
        return self.high is None or value < self.high or (self.high_inclusive and value == self.high)

    def matches(self, doc: Analyzed) -> bool:
        return any(self.accepts(v) for v in _values(doc, self.field, self.text))

    def _find(self, index: Searchable) -> list[Sequence[int]]:
        if self.numeric:
            return [index.numeric_range(self.field, self.low, self.low_inclusive, self.high, self.high_inclusive)]
        terms = index.sorted_terms(self.field)
        start = 0 if self.low is None else (bisect_left if self.low_inclusive else bisect_right)(terms, self.low)
        end = len(terms) if self.high is None else (bisect_right if self.high_inclusive else bisect_left)(terms,
                                                                                                      self.high)
        return [index.postings(self.field, term) for term in terms[start:end]]

    def refine(self, index: Searchable, candidates: set[int]) -> set[int]:
        if self.numeric and len(candidates) * CHECK_EACH < self.cost(index):
            column = index.numeric_values(self.field)
            return {slot for slot in candidates if any(self.accepts(v) for v in column.get(slot, ()))}
        return super().refine(index, candidates)


class PrefixNode(_PostingsNode):
    def __init__(self, field: str, prefix: str, text: bool, case_insensitive: bool):
        super().__init__()
        self.field, self.prefix, self.text, self.case_insensitive = field, prefix, text, case_insensitive

    def _starts(self, value: Any) -> bool:
        return isinstance(value, str) and (value.lower() if self.case_insensitive else value).startswith(self.prefix)

    def matches(self, doc: Analyzed) -> bool:
        return any(self._starts(v) for v in _values(doc, self.field, self.text))

    def _find(self, index: Searchable) -> list[Sequence[int]]:
        terms = index.sorted_terms(self.field)
        if self.case_insensitive:
            return [index.postings(self.field, t) for t in terms if self._starts(t)]
        found = []
        for term in terms[bisect_left(terms, self.prefix):]:
            if not term.startswith(self.prefix):
                break
            found.append(index.postings(self.field, term))
        return found


class ExistsNode(_PostingsNode):
    """The field has a value (an object: any field under it has one)."""

    def __init__(self, field: str, object_path: bool):
        super().__init__()
        self.field, self.object_path = field, object_path

    def matches(self, doc: Analyzed) -> bool:
        if self.object_path:
            prefix = self.field + "."
            return any(path.startswith(prefix) and entry[1] for path, entry in doc.items())
        entry = doc.get(self.field)
        return bool(entry and entry[1])

    def _find(self, index: Searchable) -> list[Sequence[int]]:
        fields = index.fields_under(self.field) if self.object_path else [self.field]
        return [index.present(field) for field in fields]


class MatchNode(Node):
    """At least ``needed`` of the query tokens (counted with repeats, as Lucene's clauses are)."""

    def __init__(self, field: str, tokens: tuple[str, ...], needed: int):
        self.field, self.tokens, self.needed = field, tokens, needed
        self.distinct = tuple(dict.fromkeys(tokens))

    def matches(self, doc: Analyzed) -> bool:
        present = set(_values(doc, self.field, True))
        return sum(1 for token in self.tokens if token in present) >= self.needed

    def _lists(self, index: Searchable) -> list[Sequence[int]]:
        return [index.postings(self.field, token) for token in self.distinct]

    def cost(self, index: Searchable) -> int:
        sizes = [len(p) for p in self._lists(index)]
        return min(sizes) if self.needed >= len(self.tokens) else sum(sizes)

    def select(self, index: Searchable) -> set[int]:
        lists = self._lists(index)
        if self.needed <= 1:
            return union(lists)
        if self.needed >= len(self.tokens):  # every token: intersect, smallest first
            ordered = sorted(lists, key=len)
            found = set(ordered[0])
            for posting in ordered[1:]:
                found = self._keep(found, posting)
            return found
        weight = Counter(self.tokens)
        counts: Counter[int] = Counter()
        for token, posting in zip(self.distinct, lists, strict=True):
            for slot in posting:
                counts[slot] += weight[token]
        return {slot for slot, count in counts.items() if count >= self.needed}

    @staticmethod
    def _keep(found: set[int], posting: Sequence[int]) -> set[int]:
        if len(found) * CHECK_EACH < len(posting):
            return {slot for slot in found if has(posting, slot)}
        return found.intersection(posting)

    def refine(self, index: Searchable, candidates: set[int]) -> set[int]:
        lists = self._lists(index)
        if len(candidates) * CHECK_EACH >= sum(map(len, lists)):
            return candidates & self.select(index)
        postings = dict(zip(self.distinct, lists, strict=True))
        return {slot for slot in candidates
                if sum(1 for token in self.tokens if has(postings[token], slot)) >= self.needed}


class PhraseNode(Node):
    """The tokens next to each other, in order, within one value of the field."""

    def __init__(self, field: str, tokens: tuple[str, ...]):
        self.field, self.tokens = field, tokens
        self._all = MatchNode(field, tokens, len(tokens))

    def _in(self, tokens: Sequence[str]) -> bool:
        first, width = self.tokens[0], len(self.tokens)
        start = 0
        while True:
            try:
                at = tokens.index(first, start)
            except ValueError:
                return False
            if tuple(tokens[at:at + width]) == self.tokens:
                return True
            start = at + 1

    def matches(self, doc: Analyzed) -> bool:
        entry = doc.get(self.field)
        return bool(entry) and any(self._in(tokens) for tokens in entry[1])  # type: ignore[index]

    def _verified(self, index: Searchable, slots: set[int]) -> set[int]:
        # Candidates hold every token; the index keeps each text value's tokens in order to check adjacency.
        return {slot for slot in slots if any(self._in(tokens) for tokens in index.token_values(slot, self.field))}

    def cost(self, index: Searchable) -> int:
        # Checking positions costs more than a posting look-up: let cheaper clauses narrow the candidates first.
        return self._all.cost(index) * VERIFY_COST

    def select(self, index: Searchable) -> set[int]:
        return self._verified(index, self._all.select(index))

    def refine(self, index: Searchable, candidates: set[int]) -> set[int]:
        return self._verified(index, self._all.refine(index, candidates))


class BoolNode(Node):
    """All required, none of must_not, at least ``needed`` of should."""

    def __init__(self, required: list[Node], should: list[Node], must_not: list[Node], needed: int):
        self.required, self.should, self.must_not, self.needed = required, should, must_not, needed

    def matches(self, doc: Analyzed) -> bool:
        if not all(node.matches(doc) for node in self.required):
            return False
        if any(node.matches(doc) for node in self.must_not):
            return False
        return self.needed == 0 or sum(1 for node in self.should if node.matches(doc)) >= self.needed

    def cost(self, index: Searchable) -> int:
        if self.needed > len(self.should):
            return 0
        if self.required:
            return min(node.cost(index) for node in self.required)
        if self.needed:
            return sum(node.cost(index) for node in self.should)
        return index.live_count()

    def select(self, index: Searchable) -> set[int]:
        if self.needed > len(self.should):
            return set()
        required = sorted(self.required, key=lambda node: node.cost(index))
        if required:
            found = required[0].select(index)
            return self._narrow(index, found, required[1:], apply_should=True)
        if self.needed:
            return self._narrow(index, self._should_select(index), [], apply_should=False)
        return self._narrow(index, index.live(), [], apply_should=False)

    def refine(self, index: Searchable, candidates: set[int]) -> set[int]:
        if self.needed > len(self.should):
            return set()
        required = sorted(self.required, key=lambda node: node.cost(index))
        return self._narrow(index, candidates, required, apply_should=True)

    def _narrow(self, index: Searchable, found: set[int], required: list[Node], apply_should: bool) -> set[int]:
        for node in required:
            if not found:
                return found
            found = node.refine(index, found)
        if apply_should and self.needed and found:
            found = self._should_refine(index, found)
        for node in self.must_not:
            if not found:
                return found
            found = found - node.refine(index, found)
        return found

    def _should_select(self, index: Searchable) -> set[int]:
        if self.needed == 1:
            found: set[int] = set()
            for node in self.should:
                found |= node.select(index)
            return found
        counts: Counter[int] = Counter()
        for node in self.should:
            counts.update(node.select(index))
        return {slot for slot, count in counts.items() if count >= self.needed}

    def _should_refine(self, index: Searchable, candidates: set[int]) -> set[int]:
        if self.needed == 1:
            matched: set[int] = set()
            for node in self.should:
                rest = candidates - matched
                if not rest:
                    break
                matched |= node.refine(index, rest)
            return matched
        counts: Counter[int] = Counter()
        for node in self.should:
            counts.update(node.refine(index, candidates))
        return {slot for slot, count in counts.items() if count >= self.needed}
