"""Properties of the query engine on generated documents and queries: the index answers exactly as the
linear scan does, sorting follows Elasticsearch, and the pages of a sorted search add up to the whole."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.core.esfields import Analyzed
from simulator.core.esindex import SortKey
from simulator.core.esquery import QueryError, parse_filter
from tests.core.test_esquery import NOW_MS, World

WORDS = ["cat", "dog", "Dog", "rat", "shut", "up", "the", "Benjamin", "door", "é", "3.14"]
FIELDS = {"id": "keyword", "kind": "keyword", "n": "long", "x": "double", "when": "date", "text": "text",
          "items.tag": "keyword", "items.n": "long", "flag": "boolean"}

texts = st.lists(st.sampled_from(WORDS), max_size=5).map(" ".join)
items = st.lists(st.fixed_dictionaries({}, optional={"tag": st.sampled_from(["a", "b", "c"]),
                                                     "n": st.integers(-3, 3)}), max_size=3)
documents = st.fixed_dictionaries({}, optional={
    "kind": st.sampled_from(["a", "b", "c", "ab"]),
    "n": st.one_of(st.integers(-5, 5), st.lists(st.integers(-5, 5), max_size=3)),
    "x": st.floats(-10, 10, allow_nan=False).map(lambda v: round(v, 1)),
    "when": st.sampled_from(["2020-10-08", "2020-10-08T12:00:00", "2020-10-09T23:59:59.999", "2021-01-01"]),
    "text": st.one_of(texts, st.lists(texts, max_size=3)),
    "items": items,
    "flag": st.booleans(),
})

strings = st.sampled_from(["a", "b", "ab", "dog", "Dog", "up", "1", "2020-10-08"])
numbers = st.one_of(st.integers(-5, 5), st.sampled_from(["1", "-2", "2.0", "0.5"]))
VALUES = {"kind": strings, "text": strings, "items.tag": strings, "nothing": strings, "n": numbers, "x": numbers,
          "items.n": numbers, "flag": st.sampled_from([True, False, "true", "false"])}
FIELD_NAMES = list(VALUES)


def _valued(build: Any) -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(FIELD_NAMES).flatmap(lambda f: build(f, VALUES[f]))


def leaves() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        _valued(lambda f, values: values.map(lambda v: {"term": {f: v}})),
        _valued(lambda f, values: st.lists(values, max_size=3).map(lambda v: {"terms": {f: v}})),
        st.builds(lambda q, op: {"match": {"text": {"query": q, "operator": op}}}, texts,
                  st.sampled_from(["or", "and"])),
        st.builds(lambda q, m: {"match": {"text": {"query": q, "minimum_should_match": m}}}, texts,
                  st.sampled_from([1, 2, "50%", "-1"])),
        st.builds(lambda q: {"match_phrase": {"text": q}}, texts),
        st.builds(lambda f: {"exists": {"field": f}}, st.sampled_from([*FIELD_NAMES, "items", "when"])),
        st.builds(lambda f, lo, hi: {"range": {f: {"gte": lo, "lt": hi}}}, st.sampled_from(["n", "x", "items.n"]),
                  st.integers(-5, 5), st.integers(-5, 5)),
        st.builds(lambda d: {"range": {"when": {"lte": d}}}, st.sampled_from(["2020-10-08", "2020-10-09", "now"])),
        st.builds(lambda p: {"prefix": {"kind": p}}, st.sampled_from(["a", "b", ""])),
    )


queries = st.recursive(
    st.fixed_dictionaries({}, optional={"must": st.lists(leaves(), max_size=2),
                                        "should": st.lists(leaves(), max_size=3),
                                        "must_not": st.lists(leaves(), max_size=2)}),
    lambda inner: st.fixed_dictionaries({}, optional={"must": st.lists(st.builds(lambda b: {"bool": b}, inner),
                                                                       max_size=2),
                                                      "should": st.lists(leaves(), max_size=2)}),
    max_leaves=6,
)
sorts = st.lists(st.builds(SortKey, st.sampled_from(["kind", "n", "x", "when", "items.n", "flag", "id"]),
                           st.booleans()), max_size=3).map(tuple)


def _world(docs: list[dict[str, Any]]) -> World:
    return World([{**doc, "id": f"d{i}"} for i, doc in enumerate(docs)], FIELDS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents, max_size=25), queries, sorts)
def test_index_answers_like_the_scan(docs: list[dict[str, Any]], body: dict[str, Any],
                                     sort: tuple[SortKey, ...]) -> None:
    world = _world(docs)
    try:
        world.find(body, sort)  # World.find asserts that both agree
    except QueryError:
        return  # a value the field's type cannot take ("a" for a long): rejected before either runs


def _reference_order(world: World, hits: list[str], sort: tuple[SortKey, ...]) -> list[str]:
    """Elasticsearch's order, written out plainly: min (asc) / max (desc), missing last, then storage order."""
    def key(doc_id: str) -> list[tuple[int, Any]]:
        analyzed: Analyzed = world.mapping.analyze(DOCS_BY_ID[doc_id])
        parts: list[tuple[int, Any]] = []
        for k in sort:
            values = analyzed.get(k.field, ("", []))[1]
            if not values:
                parts.append((1, 0))
            else:
                value = max(values) if k.descending else min(values)
                parts.append((0, _Reversed(value) if k.descending else value))
        return parts
    return sorted(hits, key=lambda doc_id: (key(doc_id), int(doc_id[1:])))


class _Reversed:
    def __init__(self, value: Any):
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(self.value > other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value

    __hash__ = None  # type: ignore[assignment]


DOCS_BY_ID: dict[str, dict[str, Any]] = {}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents, min_size=1, max_size=40), queries, sorts, st.integers(1, 7))
def test_pages_of_a_sorted_search_add_up_to_the_whole(docs: list[dict[str, Any]], body: dict[str, Any],
                                                      sort: tuple[SortKey, ...], size: int) -> None:
    world = _world(docs)
    DOCS_BY_ID.clear()
    DOCS_BY_ID.update({f"d{i}": {**doc, "id": f"d{i}"} for i, doc in enumerate(docs)})
    try:
        whole = world.find(body, sort)
    except QueryError:
        return
    assert whole == _reference_order(world, whole, sort)
    pages: list[str] = []
    for page in range(len(whole) // size + 2):
        pages += world.find(body, sort, offset=page * size, size=size)
    assert pages == whole
    assert len(set(pages)) == len(pages)


def test_a_large_index_takes_the_walking_path_and_agrees() -> None:
    """Many hits with a sort: the index walks the first key's order and resolves ties by the others."""
    docs = [{"kind": "abc"[i % 3], "n": [i % 7, i % 11], "x": float(i % 5), "text": WORDS[i % len(WORDS)]}
            for i in range(400)]
    world = _world(docs)
    for sort in [(SortKey("kind"), SortKey("n", True)), (SortKey("x", True),), (SortKey("n"), SortKey("x")),
                 (SortKey("flag"), SortKey("n"))]:
        whole = world.find({}, sort)
        paged = [doc for page in range(0, 400, 37) for doc in world.find({}, sort, offset=page, size=37)]
        assert paged == whole
        assert world.find({"must_not": [{"term": {"kind": "a"}}]}, sort, offset=50, size=20)


def test_now_is_the_callers_clock() -> None:
    world = _world([{"when": "2025-01-20T14:00:00Z"}, {"when": "2025-01-19T14:00:00Z"}])
    assert world.find({"must": [{"range": {"when": {"gte": "now-1h"}}}]}) == ["d0"]
    assert world.find({"must": [{"range": {"when": {"gte": "now-1d/d"}}}]}) == ["d0", "d1"]
    assert NOW_MS == 1_737_385_200_000


@settings(max_examples=3, deadline=None)
@given(st.data())
def test_generated_queries_are_mostly_valid(data: st.DataObject) -> None:
    """The properties above are worth something only if most generated queries run."""
    mapping = _world([]).mapping
    valid = 0
    for body in [data.draw(queries) for _ in range(60)]:
        try:
            parse_filter(body, mapping, NOW_MS)
            valid += 1
        except QueryError:
            pass
    assert valid >= 45
