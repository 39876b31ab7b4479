"""The query engine on hand-made documents: every rule answered by the index and by the linear scan alike."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from simulator.core.esfields import Field, Mapping
from simulator.core.esindex import Index, LinearScan, SortKey
from simulator.core.esquery import QueryError, min_should_match, parse_filter

NOW_MS = 1_737_385_200_000  # 2025-01-20T15:00:00Z

FIELDS = {
    "id": "keyword", "agent.id": "keyword", "status": "keyword", "tags.tag": "keyword", "tags.category": "keyword",
    "request_ids": "keyword", "transcription.*": "text", "note": "text+keyword", "duration": "long",
    "score": "double", "started": "date", "steps.type": "keyword", "steps.code": "long", "steps.ok": "boolean",
}

DOCS: list[dict[str, Any]] = [
    {"id": "a", "agent": {"id": "1234567"}, "status": "ended", "duration": 27000, "score": 1.5,
     "started": "2020-10-08T17:09:27.758983", "tags": [{"tag": "cat", "category": "pets"}, {"tag": "dog"}],
     "request_ids": ["22", "33"], "transcription": [{"user": "Shut up, Benjamin!"}, {"bot": "Sorry."}],
     "note": "The quick brown Dog", "steps": [{"type": "speak", "code": 201, "ok": True},
                                               {"type": "webhook", "code": 500, "ok": False}]},
    {"id": "b", "agent": {"id": "1234567"}, "status": "ended", "duration": 5000, "started": "2020-10-09",
     "tags": [{"tag": "cat"}, {"tag": "dog"}, {"tag": "rat"}], "request_ids": ["44"],
     "transcription": [{"user": "I love this agent"}, {"user": "please shut the door"}],
     "note": "lazy dog's bone", "steps": [{"type": "webhook", "code": 200, "ok": True}]},
    {"id": "c", "agent": {"id": "7654321"}, "status": "in_progress", "duration": [3, 40_000],
     "tags": [{"tag": "invalid"}], "transcription": [{"user": "up up and away"}], "note": "",
     "steps": [{"type": "speak", "code": 201}]},
    {"id": "d", "status": "ended", "started": "2020-10-10T00:00:00Z", "request_ids": [],
     "transcription": [], "score": -2},
]


class World:
    def __init__(self, docs: list[dict[str, Any]], fields: dict[str, str] = FIELDS):
        self.mapping = Mapping(fields)
        self.index, self.scan = Index(), LinearScan()
        self.ids: list[str] = []
        for doc in docs:
            learned: dict[str, Field | None] = {}
            analyzed = self.mapping.analyze(doc, learned)
            self.mapping.learn(learned)
            self.index.add(analyzed, orjson.dumps(doc))
            self.scan.add(analyzed)
            self.ids.append(doc["id"])

    def find(self, body: dict[str, Any], sort: tuple[SortKey, ...] = (), offset: int = 0,
             size: int = 1000) -> list[str]:
        query = parse_filter(body, self.mapping, NOW_MS)
        indexed = self.index.search(query, sort, offset, size)
        scanned = self.scan.search(parse_filter(body, self.mapping, NOW_MS), sort, offset, size)
        assert indexed == scanned, (body, indexed, scanned)
        return [self.ids[slot] for slot in indexed[1]]


@pytest.fixture(scope="module")
def world() -> World:
    return World(DOCS)


def found(world: World, *clauses: dict[str, Any], key: str = "must") -> set[str]:
    return set(world.find({key: list(clauses)}))


# 003's example queries --------------------------------------------------------------------------------
def test_agent_and_match_shut_up(world: World) -> None:
    body = {"must": [{"term": {"agent.id": "1234567"}}, {"match": {"transcription.user": "shut up"}}]}
    assert set(world.find(body)) == {"a", "b"}  # "shut" alone is enough for an OR match ("shut the door")
    phrase = {"must": [{"term": {"agent.id": "1234567"}}, {"match_phrase": {"transcription.user": "shut up"}}]}
    assert world.find(phrase) == ["a"]


def test_all_three_tags(world: World) -> None:
    body = {"must": [{"term": {"tags.tag": t}} for t in ("cat", "dog", "rat")]}
    assert world.find(body) == ["b"]


def test_must_with_should_request_ids(world: World) -> None:
    body = {"must": [{"term": {"status": "ended"}}],
            "should": [{"term": {"request_ids": "22"}}, {"term": {"request_ids": "44"}}]}
    assert set(world.find(body)) == {"a", "b"}  # "d" is ended but has neither request id


def test_must_not_tag_invalid(world: World) -> None:
    assert set(world.find({"must_not": [{"term": {"tags.tag": "invalid"}}]})) == {"a", "b", "d"}


# term, terms and types ----------------------------------------------------------------------------------
def test_term_on_text_compares_tokens_unanalysed(world: World) -> None:
    assert found(world, {"term": {"note": "dog"}}) == {"a"}
    assert found(world, {"term": {"note": "Dog"}}) == set()
    assert found(world, {"term": {"note": "quick brown"}}) == set()
    assert found(world, {"term": {"note": {"value": "DOG", "case_insensitive": True}}}) == {"a"}


def test_keyword_fields_are_exact(world: World) -> None:
    assert found(world, {"term": {"status": "ended"}}) == {"a", "b", "d"}
    assert found(world, {"term": {"status": "Ended"}}) == set()
    assert found(world, {"term": {"status": {"value": "ENDED", "case_insensitive": True}}}) == {"a", "b", "d"}
    assert found(world, {"match": {"status": "in_progress"}}) == {"c"}  # match on keyword: the whole value
    assert found(world, {"match": {"status": "in"}}) == set()
    assert found(world, {"term": {"note.keyword": "lazy dog's bone"}}) == {"b"}


def test_numbers_and_booleans_compare_by_value(world: World) -> None:
    assert found(world, {"term": {"duration": "27000"}}) == {"a"}
    assert found(world, {"term": {"duration": 27000.0}}) == {"a"}
    assert found(world, {"term": {"duration": "27000.5"}}) == set()
    assert found(world, {"match": {"duration": 5000}}) == {"b"}
    assert found(world, {"terms": {"duration": [3, "5000"]}}) == {"b", "c"}
    assert found(world, {"term": {"score": "1.5"}}) == {"a"}
    assert found(world, {"term": {"steps.ok": "false"}}) == {"a"}
    assert found(world, {"term": {"steps.ok": True}}) == {"a", "b"}
    assert found(world, {"term": {"id": "a"}}) == {"a"}


def test_dates_match_their_whole_period(world: World) -> None:
    assert found(world, {"term": {"started": "2020-10-08"}}) == {"a"}
    assert found(world, {"term": {"started": "2020-10-08T17:09:27.758"}}) == {"a"}  # millisecond precision
    assert found(world, {"range": {"started": {"gte": "2020-10-09", "lte": "2020-10-09"}}}) == {"b"}
    assert found(world, {"range": {"started": {"gt": "2020-10-09"}}}) == {"d"}  # gt rounds up: after that day
    assert found(world, {"range": {"started": {"lt": "2020-10-09"}}}) == {"a"}
    assert found(world, {"range": {"started": {"gte": "now-10y/y"}}}) == {"a", "b", "d"}
    assert found(world, {"range": {"started": {"gte": 1602288000000}}}) == {"d"}  # epoch milliseconds


def test_terms_is_any_of(world: World) -> None:
    assert found(world, {"terms": {"request_ids": ["22", "44", "nope"]}}) == {"a", "b"}
    assert found(world, {"terms": {"request_ids": []}}) == set()


# match ----------------------------------------------------------------------------------------------------
def test_match_is_an_or_of_analysed_tokens(world: World) -> None:
    assert found(world, {"match": {"transcription.user": "SHUT"}}) == {"a", "b"}
    assert found(world, {"match": {"transcription.user": "benjamin away"}}) == {"a", "c"}
    assert found(world, {"match": {"note": "dog"}}) == {"a"}  # "dog's" is one token, as the standard analyzer says


def test_match_operator_and_minimum_should_match(world: World) -> None:
    field = "transcription.user"
    assert found(world, {"match": {field: {"query": "shut up", "operator": "and"}}}) == {"a"}
    assert found(world, {"match": {field: {"query": "shut door up", "minimum_should_match": 2}}}) == {"a", "b"}
    assert found(world, {"match": {field: {"query": "shut door up", "minimum_should_match": "100%"}}}) == set()
    assert found(world, {"match": {field: {"query": "shut door up", "minimum_should_match": "-1"}}}) == {"a", "b"}
    assert found(world, {"match": {field: {"query": "away", "minimum_should_match": 5}}}) == {"c"}  # one term


def test_zero_terms_query(world: World) -> None:
    assert found(world, {"match": {"note": "!!!"}}) == set()
    assert found(world, {"match": {"note": {"query": "!!!", "zero_terms_query": "all"}}}) == {"a", "b", "c", "d"}


def test_phrase_stays_within_one_value(world: World) -> None:
    assert found(world, {"match_phrase": {"transcription.user": "shut up"}}) == {"a"}
    assert found(world, {"match_phrase": {"transcription.user": "up shut"}}) == set()
    assert found(world, {"match_phrase": {"transcription.user": "agent please"}}) == set()  # across two values
    assert found(world, {"match_phrase": {"transcription.user": "up up and"}}) == {"c"}


# exists, missing fields, prefix, range on strings -------------------------------------------------------------
def test_exists(world: World) -> None:
    assert found(world, {"exists": {"field": "started"}}) == {"a", "b", "d"}
    assert found(world, {"exists": {"field": "request_ids"}}) == {"a", "b"}  # [] is not a value
    assert found(world, {"exists": {"field": "note"}}) == {"a", "b", "c"}  # "" is a value
    assert found(world, {"exists": {"field": "agent"}}) == {"a", "b", "c"}  # an object: any field under it
    assert found(world, {"exists": {"field": "nowhere"}}) == set()


def test_missing_fields(world: World) -> None:
    assert found(world, {"term": {"agent.id": "1234567"}}, key="must_not") == {"c", "d"}
    assert found(world, {"term": {"agent_id": "1234567"}}) == set()  # a field no document has
    assert found(world, {"term": {"agent_id": "1234567"}}, key="must_not") == {"a", "b", "c", "d"}
    assert found(world, {"range": {"duration": {"gte": 0}}}, key="must_not") == {"d"}


def test_prefix_and_string_ranges(world: World) -> None:
    assert found(world, {"prefix": {"agent.id": "123"}}) == {"a", "b"}
    assert found(world, {"prefix": {"transcription.user": "ben"}}) == {"a"}
    assert found(world, {"prefix": {"transcription.user": "Ben"}}) == set()  # not analysed
    assert found(world, {"range": {"status": {"gte": "e", "lt": "f"}}}) == {"a", "b", "d"}


# arrays and flattening ------------------------------------------------------------------------------------------
def test_arrays_match_when_any_element_does(world: World) -> None:
    assert found(world, {"range": {"duration": {"gt": 30_000}}}) == {"c"}  # [3, 40000]
    assert found(world, {"range": {"duration": {"lt": 10}}}) == {"c"}


def test_arrays_of_objects_are_flattened(world: World) -> None:
    # "a" has a speak step and, in another step, a 500: without nested mappings both conditions hold.
    body = {"must": [{"term": {"steps.type": "speak"}}, {"term": {"steps.code": 500}}]}
    assert world.find(body) == ["a"]
    assert found(world, {"term": {"tags.category": "pets"}}, {"term": {"tags.tag": "dog"}}) == {"a"}


# bool combinations ---------------------------------------------------------------------------------------------
def test_should_alone_needs_one_match(world: World) -> None:
    assert found(world, {"term": {"id": "a"}}, {"term": {"id": "c"}}, key="should") == {"a", "c"}
    assert found(world, {"term": {"id": "zz"}}, key="should") == set()


def test_should_with_minimum_should_match(world: World) -> None:
    body = {"should": [{"term": {"tags.tag": t}} for t in ("cat", "dog", "rat")], "minimum_should_match": 3}
    assert world.find(body) == ["b"]
    body = {"must": [{"term": {"status": "ended"}}], "should": [{"term": {"id": "zz"}}], "minimum_should_match": 0}
    assert set(world.find(body)) == {"a", "b", "d"}


def test_nested_bool_and_must_not_of_should(world: World) -> None:
    body = {"must": [{"bool": {"should": [{"term": {"id": "a"}}, {"term": {"id": "b"}}]}}],
            "must_not": [{"bool": {"must": [{"term": {"tags.tag": "rat"}}]}}]}
    assert world.find(body) == ["a"]
    assert set(world.find({})) == {"a", "b", "c", "d"}
    assert world.find({"must": {"term": {"id": "d"}}}) == ["d"]  # one clause without a list
    assert world.find({"filter": [{"term": {"id": "d"}}]}) == ["d"]


# sorting and paging ---------------------------------------------------------------------------------------------
def test_sort_uses_min_ascending_max_descending_and_missing_last(world: World) -> None:
    assert world.find({}, (SortKey("duration"),)) == ["c", "b", "a", "d"]  # c sorts by 3
    assert world.find({}, (SortKey("duration", True),)) == ["c", "a", "b", "d"]  # c sorts by 40000
    assert world.find({}, (SortKey("started", True), SortKey("id"))) == ["d", "b", "a", "c"]
    assert world.find({}, (SortKey("status"), SortKey("id", True))) == ["d", "b", "a", "c"]
    assert world.find({}, (SortKey("duration"),), offset=1, size=2) == ["b", "a"]


# errors name the clause ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "named"), [
    ({"must": [{"wildcard": {"id": "a*"}}]}, "must[0].wildcard: unsupported query type"),
    ({"must": [{"term": {"duration": "long"}}]}, "must[0].term.duration"),
    ({"must": [{"term": {"steps.ok": "yes"}}]}, "steps.ok"),
    ({"must": [{"term": {"started": "yesterday"}}]}, "started"),
    ({"must": [{"term": {"id": None}}]}, "value cannot be null"),
    ({"must": [{"term": {"id": ["a"]}}]}, "term.id"),
    ({"must": [{"term": {"id": "a", "status": "b"}}]}, "exactly one field"),
    ({"must": [{"match": {"note": {"query": "x", "fuzziness": 2}}}]}, "[fuzziness]"),
    ({"must": [{"match": {"note": {"query": "x", "operator": "xor"}}}]}, "operator"),
    ({"must": [{"match": {"note": {"query": "x y", "minimum_should_match": "lots"}}}]}, "minimum_should_match"),
    ({"must": [{"match_phrase": {"note": {"query": "x y", "slop": 2}}}]}, "slop"),
    ({"must": [{"range": {"duration": {"gte": 1, "format": "x"}}}]}, "[format]"),
    ({"must": [{"prefix": {"duration": "1"}}]}, "prefix works on keyword and text"),
    ({"must": [{}]}, "exactly one query type"),
    ({"must": ["term"]}, "must[0]"),
    ({"must": [{"bool": {"must_nt": []}}]}, "[bool] query does not support [must_nt]"),
    ({"boost": "high"}, "boost"),
    ({"should": [{"term": {"id": "a"}}], "minimum_should_match": True}, "minimum_should_match"),
])
def test_unsupported_or_invalid_clauses_are_rejected_by_name(world: World, body: dict[str, Any], named: str) -> None:
    with pytest.raises(QueryError, match=None) as raised:
        parse_filter(body, world.mapping, NOW_MS)
    assert named in str(raised.value)


@pytest.mark.parametrize(("optional", "spec", "needed"), [
    (3, 2, 2), (3, "-1", 2), (4, "75%", 3), (4, "-25%", 3), (7, "70%", 4), (5, "3<90%", 4), (3, "3<90%", 3),
    (10, "2<-25% 9<-3", 7), (4, "2<-25% 9<-3", 3), (3, 5, 5), (3, -5, 0),
])
def test_minimum_should_match_specifications(optional: int, spec: Any, needed: int) -> None:
    assert min_should_match(optional, spec, "x") == needed
