"""The query engine on hostile input: linear parsers, bounded depth, and what it tells about unknown fields."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from simulator.core.esdates import DateError, parse_date
from simulator.core.esfields import Field, Mapping, MappingLimit
from simulator.core.esindex import Index, SortKey
from simulator.core.esknown import Catalog
from simulator.core.esnodes import NoneNode
from simulator.core.esquery import Findings, QueryError, min_should_match, parse_filter

NOW_MS = 1_737_385_200_000
BOUND = 2.0  # seconds: generous on a shared machine; each of these takes well under 50 ms


def _timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    print(f"{elapsed * 1000:.1f} ms")
    return elapsed


def _bools(levels: int) -> dict[str, Any]:
    body: dict[str, Any] = {"must": [{"term": {"id": "x"}}]}
    for _ in range(levels - 1):
        body = {"must": [{"bool": body}]}
    return body


def test_bool_queries_nest_at_most_20_levels() -> None:
    mapping = Mapping({"id": "keyword"})
    parse_filter(_bools(20), mapping, NOW_MS)
    with pytest.raises(QueryError) as raised:
        parse_filter(_bools(21), mapping, NOW_MS)
    assert "nested more than 20 levels deep" in str(raised.value)
    assert "indices.query.bool.max_nested_depth" in str(raised.value)


def test_a_filter_thousands_of_levels_deep_is_refused_without_recursing_through_it() -> None:
    # Built in Python (no JSON parser's own limit in front): the engine stops at its limit by itself.
    with pytest.raises(QueryError, match="the limit is 20"):
        parse_filter(_bools(5000), Mapping({"id": "keyword"}), NOW_MS)


def _nested_document(levels: int) -> dict[str, Any]:
    document: dict[str, Any] = {"leaf": "x"}
    for _ in range(levels - 1):
        document = {"inner": document}
    return {"id": "deep", "extra": document}


def test_documents_nest_at_most_20_objects_like_elasticsearch() -> None:
    mapping = Mapping({"id": "keyword"})
    mapping.analyze(_nested_document(19), {})  # "extra" is depth 1: its leaf is at depth 20
    with pytest.raises(MappingLimit) as raised:
        mapping.analyze(_nested_document(20), {})
    assert "nested more than 20 objects deep" in str(raised.value)
    assert "index.mapping.depth.limit" in str(raised.value)
    with pytest.raises(MappingLimit):
        mapping.analyze(_nested_document(5000), {})
    arrays: list[Any] = ["x"]
    for _ in range(5000):
        arrays = [arrays]
    with pytest.raises(MappingLimit, match="arrays nested more than 64 levels"):
        mapping.analyze({"id": "a", "list": arrays}, {})


def test_minimum_should_match_is_read_in_linear_time() -> None:
    for hostile in ("1<" * 30_000, "1" + " " * 60_000 + "<2", "1<" + " " * 60_000 + "x", "9" * 150 + "%"):
        started = time.perf_counter()
        with pytest.raises(QueryError, match="minimum_should_match"):
            min_should_match(3, hostile, "x")
        assert time.perf_counter() - started < BOUND
    assert min_should_match(10, "2 < -25%  9 < -3", "x") == 7


def test_long_dates_are_refused_before_any_date_math() -> None:
    for hostile in ("2020-01-01||" + "+1d" * 20_000, "now" + "/d" * 30_000, "1" * 60_000):
        with pytest.raises(DateError, match="at most 128 characters"):
            parse_date(hostile, False, NOW_MS)
    assert parse_date("2020-01-01||+1M-1d/d", False, NOW_MS) == parse_date("2020-01-31", False)


def _world(*documents: dict[str, Any]) -> tuple[Mapping, Index]:
    mapping = Mapping({"id": "keyword", "agent.id": "keyword", "agent.name": "keyword", "speech.*": "text",
                       "count": "long", "notes": "text+keyword", "blob": "text"}, term_only={"id", "agent.id"})
    index = Index()
    for document in documents:
        learned: dict[str, Field | None] = {}
        analyzed = mapping.analyze(document, learned)
        mapping.learn(learned)
        index.add(analyzed, orjson.dumps(document))
    return mapping, index


def test_match_on_a_term_only_field_finds_nothing_and_says_why() -> None:
    mapping, index = _world({"id": "abc", "agent": {"id": "a1"}})
    findings = Findings()
    node = parse_filter({"must": [{"match": {"id": "abc"}}]}, mapping, NOW_MS, findings=findings)
    assert index.search(node, (), 0, 10) == (0, [])
    assert findings.notes == ["[match] on 'id' finds nothing: it is an ID field, searched only with term "
                              "(or terms, range, prefix); use {\"term\": {\"id\": ...}}"]
    phrase = parse_filter({"must": [{"match_phrase": {"agent.id": "a1"}}]}, mapping, NOW_MS)
    assert isinstance(phrase.required[0], NoneNode)  # type: ignore[attr-defined]
    term = parse_filter({"must": [{"term": {"id": "abc"}}]}, mapping, NOW_MS)
    assert index.search(term, (), 0, 10) == (1, [0])


def test_the_catalog_names_unknown_fields_and_suggests_the_closest() -> None:
    mapping, index = _world({"id": "a", "agent": {"id": "1", "name": "n"}, "speech": [{"user": "hello"}],
                             "crm": {"ticket": "T-1"}})
    catalog = Catalog(mapping, index)
    findings = Findings()
    parse_filter({"must": [{"term": {"agent_id": "1"}}, {"match": {"speech.client": "hi"}},
                           {"exists": {"field": "crm"}}, {"term": {"crm.ticket.keyword": "T-1"}}]},
                 mapping, NOW_MS, findings=findings)
    assert findings.fields == ["agent_id", "speech.client", "crm", "crm.ticket.keyword"]
    assert catalog.unknown(findings.fields) == ["agent_id", "speech.client"]
    assert catalog.suggestion("agent_id") == "agent.id"
    assert catalog.suggestion("speech.client") == "speech.user"
    assert catalog.describe_unknown("agnet.name", "filter_by") == (
        "filter_by names 'agnet.name', a field that no document has and the mapping does not list; "
        "did you mean 'agent.name'?")
    assert catalog.knows("count") and catalog.knows("agent") and catalog.knows("speech")
    assert not catalog.knows("speech.bot")


def test_an_object_sorts_by_its_fields_leading_ones_first() -> None:
    mapping, index = _world({"id": "a", "agent": {"id": "2", "name": "b"}}, {"id": "b", "agent": {"id": "1"}},
                            {"id": "c", "agent": {"id": "3", "name": "a"}})
    catalog = Catalog(mapping, index)
    assert catalog.object_sort("agent", False) == [SortKey("agent.id"), SortKey("agent.name")]
    keys = catalog.object_sort("agent", True, leading=("agent.name",))
    assert keys == [SortKey("agent.name", True), SortKey("agent.id", True)]
    assert index.search(parse_filter({}, mapping, NOW_MS), keys, 0, 10)[1] == [0, 2, 1]
    spoken = Catalog(*_world({"id": "a", "speech": [{"user": "x"}]}))
    with pytest.raises(QueryError, match="'speech' is an object without fields that can be sorted on"):
        spoken.object_sort("speech", False)  # text without a .keyword sub-field cannot be sorted on


def test_suggestions_stay_cheap_for_many_long_unknown_names() -> None:
    documents = [{"id": str(i), f"field_{i}": {"value": i}} for i in range(2000)]
    catalog = Catalog(*_world(*documents))
    names = [f"unknown_{i}_" + "x" * 150 for i in range(500)]
    assert _timed(lambda: [catalog.describe_unknown(name, "filter_by") for name in catalog.unknown(names)]) < BOUND
